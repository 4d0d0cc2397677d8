import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Caller } from '../../../lib/auth/caller-identity.js';
import type { Config } from '../../../lib/config.js';
import { AppError } from '../../../lib/errors.js';
import { guardedGet } from '../../../lib/http/guarded-get.js';
import { writeTempFile, type TempFile } from '../../../lib/http/temp-file.js';
import type { WaveDeps } from '../../wave/change.js';
import { mediaContent, servableMedia } from '../../wave/media.js';

/** Where the tool's audio comes from: exactly one of these, as the caller named it. */
export interface AudioSource {
  audio_base64?: string;
  url?: string;
  media_id?: string;
}

/** A room's file is read as its media route reads it (domains/wave/media.ts). */
interface SourceDeps extends WaveDeps {
  s3: S3Client;
  config: Config;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The named audio on local disk, as an upload would leave it: base64 decoded
 * under its cap, a URL fetched from an allow-listed public origin, or a file the
 * caller already uploaded to a room it may read (and the virus scan passed).
 * Each is cut off at its cap before more is read.
 */
export async function receiveAudio(deps: SourceDeps, caller: Caller, source: AudioSource, signal: AbortSignal): Promise<TempFile> {
  const e = deps.config.env;
  const named = (['audio_base64', 'url', 'media_id'] as const).filter((k) => source[k] !== undefined);
  if (named.length !== 1) throw new AppError('VALIDATION_ERROR', 'give exactly one of audio_base64, url or media_id');
  const maxBytes = e.SCAIWAVE_SCAIECHO_MAX_UPLOAD_BYTES;

  if (source.audio_base64 !== undefined) {
    const text = source.audio_base64;
    const cap = e.SCAIWAVE_MCP_MAX_BASE64_AUDIO_BYTES;
    // Judged by its length before a byte is decoded.
    if (Math.floor((text.length * 3) / 4) - (text.match(/=*$/)?.[0].length ?? 0) > cap) {
      throw new AppError('PAYLOAD_TOO_LARGE', `audio_base64 decodes to more than ${cap} bytes; send larger audio by url or media_id`);
    }
    if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) throw new AppError('VALIDATION_ERROR', 'audio_base64 is not base64');
    return writeTempFile(Readable.from([Buffer.from(text, 'base64')]), cap, 'audio_base64');
  }
  if (source.url !== undefined) {
    // A server that answers slowly holds this request: it gets what an inline transcription gets.
    const deadline = AbortSignal.timeout(e.SCAIWAVE_SCAIECHO_SYNC_TIMEOUT_MS);
    const options = {
      allowedOrigins: new Set(e.SCAIWAVE_MCP_URL_ALLOWLIST.map((o) => new URL(o).origin)),
      allowPrivate: e.SCAIWAVE_MCP_URL_ALLOW_PRIVATE,
      maxBytes,
      signal: AbortSignal.any([signal, deadline]),
    };
    try {
      return await writeTempFile(await guardedGet(source.url, options), maxBytes, 'the audio at url');
    } catch (err) {
      if (deadline.aborted) throw new AppError('UPSTREAM_TIMEOUT', `url: the audio did not arrive within ${e.SCAIWAVE_SCAIECHO_SYNC_TIMEOUT_MS / 1000} s`);
      throw err;
    }
  }
  // A room's file is read with the permission its own route asks for.
  if (!caller.permissions.has('wave:use')) throw new AppError('FORBIDDEN', 'media_id needs the wave:use permission');
  const media = await servableMedia(deps, caller, source.media_id!);
  return writeTempFile(await mediaContent(deps, media), maxBytes, 'the media file');
}
