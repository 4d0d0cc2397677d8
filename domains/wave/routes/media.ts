import { z } from 'zod';
import { findMedia, mediaContent, servableMedia, storeMedia } from '../media.js';
import { startMediaScan } from '../client.js';
import type { WaveRouteDeps } from './deps.js';
import { callerOf } from '../../../lib/http/auth.js';
import { operation } from '../../../lib/http/operation.js';
import { media, mediaView, roomParams, waveId } from '../schemas.js';

const mediaParams = z.object({ mediaId: waveId('the media id') });

/** RFC 6266: the name as given, kept to what a header may carry, and in full as UTF-8. */
const attachment = (name: string | null): string => {
  if (!name) return 'attachment';
  const plain = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${plain}"; filename*=UTF-8''${encodeURIComponent(name)}`;
};

export function waveMediaRoutes(deps: WaveRouteDeps) {
  const tag = 'wave media';
  return [
    operation({
      method: 'post',
      path: '/v1/wave/rooms/:roomId/media',
      operationId: 'uploadMedia',
      summary: 'Upload a file to a room',
      description:
        'Streamed to storage, never held in memory. Its type is sniffed from the bytes. It can be downloaded once clamd has called it clean (202 until then: follow `scan_status`); ' +
        'with scanning off in this deployment it is stored `unscanned` (201).',
      tag,
      permission: ['wave:use'],
      params: roomParams,
      body: { fields: z.strictObject({}), files: { file: 'the file' }, maxFileBytes: deps.config.env.SCAIWAVE_WAVE_MEDIA_MAX_BYTES },
      responses: {
        201: { description: 'stored, unscanned (scanning is off)', data: media },
        202: { description: 'stored, waiting for its scan', data: media },
      },
      errors: ['NOT_FOUND', 'FORBIDDEN', 'CONFLICT', 'SERVICE_UNAVAILABLE'],
    }).handle(async (ctx, { params, body: { files } }) => {
      const caller = callerOf(ctx.state);
      const stored = await storeMedia(deps, caller, params.roomId, files.file!);
      if (stored.scanStatus !== 'pending_scan') return { status: 201, data: mediaView(stored) };
      await startMediaScan(deps, caller, stored.id);
      return { status: 202, data: mediaView(stored) };
    }),
    operation({
      method: 'get',
      path: '/v1/wave/media/:mediaId',
      operationId: 'getMedia',
      summary: 'A file of a room the caller may read, and its scan status',
      tag,
      permission: ['wave:use'],
      params: mediaParams,
      responses: { 200: { description: 'the file record', data: media } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => ({ status: 200, data: mediaView(await findMedia(deps, callerOf(ctx.state), params.mediaId)) })),
    operation({
      method: 'get',
      path: '/v1/wave/media/:mediaId/content',
      operationId: 'downloadMedia',
      summary: 'Download a file',
      description: 'Only once clamd called it clean (409 while it is scanned, 403 when it is quarantined), to those who may read its room. Streamed.',
      tag,
      permission: ['wave:use'],
      params: mediaParams,
      responses: { 200: { description: 'the bytes', media: 'application/octet-stream', schema: z.string().meta({ format: 'binary' }) } },
      errors: ['NOT_FOUND', 'FORBIDDEN', 'CONFLICT'],
    }).handle(async (ctx, { params }) => {
      const m = await servableMedia(deps, callerOf(ctx.state), params.mediaId);
      const content = await mediaContent(deps, m);
      // Served as a download, never rendered by the browser in our origin, whatever it holds.
      ctx.set('Content-Disposition', attachment(m.fileName));
      ctx.length = Number(m.bytes);
      return { status: 200, body: content };
    }),
  ];
}
