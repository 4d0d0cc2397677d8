import fs from 'node:fs';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import type { Caller } from '../../lib/auth/caller-identity.js';
import type { Config } from '../../lib/config.js';
import type { WaveMedia } from '../../lib/generated/prisma/client.js';
import type { Logger } from '../../lib/infra/logger.js';
import { newId } from '../../lib/infra/ids.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { WaveDeps } from './change.js';
import { readableRoom, requireMember, requireOpen } from './room-access.js';

// Media of a room: stored under the tenant's prefix, scanned by clamd before
// anyone may download it (domains/wave/client.ts), moved under the
// quarantine prefix when infected. With scanning off (no SCAIWAVE_CLAMAV_URL)
// every row says `unscanned`, so nobody mistakes it for scanned and clean.

export const MEDIA_STATUSES = ['pending_scan', 'clean', 'infected', 'unscannable', 'unscanned'] as const;
export type MediaStatus = (typeof MEDIA_STATUSES)[number];
/** Who may download what: only what clamd called clean, or what was stored with scanning off. */
const SERVABLE: ReadonlySet<string> = new Set<MediaStatus>(['clean', 'unscanned']);

export const mediaObjectKey = (tenantId: string, mediaId: string): string => `${tenantId}/wave/media/${mediaId}`;
export const quarantineKey = (objectKey: string): string => `quarantine/${objectKey}`;

/** The file as the upload left it on disk: streamed there, counted and hashed (lib/http/upload.ts). */
interface ReceivedFile {
  path: string;
  bytes: number;
  sha256: string;
  filename: string;
}

interface MediaDeps extends WaveDeps {
  s3: S3Client;
  config: Config;
  logger: Logger;
}

/** What the bytes are, whatever the client called them; unknown binary content is octet-stream. */
async function sniff(file: ReceivedFile): Promise<string> {
  const found = await fileTypeFromFile(file.path);
  return found?.mime ?? 'application/octet-stream';
}

/** How much of a file sniffHead needs: file-type decides every type it knows from far less. */
export const SNIFF_BYTES = 64 * 1024;

/** sniff, for a file not on disk: from its first SNIFF_BYTES. */
export async function sniffHead(head: Uint8Array): Promise<string> {
  const found = await fileTypeFromBuffer(head);
  return found?.mime ?? 'application/octet-stream';
}

/**
 * Stores an upload for a room member: the object under the tenant's prefix,
 * then its row. A failure in between removes the object, so nothing is left
 * half-written. The caller starts the scan (startMediaScan) when the row says
 * `pending_scan`.
 */
export async function storeMedia(deps: MediaDeps, caller: Caller, roomId: string, file: ReceivedFile): Promise<WaveMedia> {
  const access = await readableRoom(deps.db, caller, roomId);
  requireOpen(access);
  requireMember(access, 'upload');
  const id = newId();
  const key = mediaObjectKey(caller.tenantId, id);
  const bucket = deps.config.env.SCAIWAVE_S3_BUCKET;
  const contentType = await sniff(file);
  await deps.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: fs.createReadStream(file.path), ContentLength: file.bytes, ContentType: contentType }),
  );
  try {
    return await deps.db.waveMedia.create({
      data: {
        id,
        tenantId: caller.tenantId,
        roomId,
        ownerId: caller.userId,
        objectKey: key,
        fileName: file.filename.slice(0, 255) || null,
        bytes: file.bytes,
        sha256: file.sha256,
        contentType,
        scanStatus: deps.config.env.SCAIWAVE_CLAMAV_URL ? 'pending_scan' : 'unscanned',
      },
    });
  } catch (err) {
    deps.logger.error({ err, mediaId: id }, 'could not record media');
    await deps.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    throw new AppError('SERVICE_UNAVAILABLE', 'the file could not be stored; nothing was kept, try again');
  }
}

/** The media row, if the caller may read its room. */
export async function findMedia(deps: WaveDeps, caller: Caller, mediaId: string): Promise<WaveMedia> {
  const media = await deps.db.waveMedia.findFirst({ where: { id: mediaId, tenantId: caller.tenantId } });
  if (!media) throw notFound('media');
  await readableRoom(deps.db, caller, media.roomId).catch(() => {
    throw notFound('media');
  });
  return media;
}

/** The media, if it may be downloaded now; otherwise why not, as the caller should hear it. */
export async function servableMedia(deps: WaveDeps, caller: Caller, mediaId: string): Promise<WaveMedia> {
  const media = await findMedia(deps, caller, mediaId);
  if (SERVABLE.has(media.scanStatus)) return media;
  if (media.scanStatus === 'pending_scan') throw new AppError('CONFLICT', 'the file is being scanned for viruses; try again shortly');
  throw new AppError('FORBIDDEN', 'the file failed the virus scan and is quarantined');
}

/** The bytes of a file servableMedia allowed, streamed from S3. */
export async function mediaContent(deps: { s3: S3Client; config: Config }, media: WaveMedia): Promise<Readable> {
  const object = await deps.s3.send(new GetObjectCommand({ Bucket: deps.config.env.SCAIWAVE_S3_BUCKET, Key: media.objectKey }));
  return object.Body as Readable;
}
