import { z } from 'zod';
import type { ExportStatus } from '../exports.js';

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;
// Not .int(): zod's integers stop at 2^53, a size need not.
const bigCount = z.number().meta({ override: { type: 'integer' } });

export const roomExport = z
  .object({
    id: z.string(),
    room_id: z.string(),
    kind: z.enum(['on_demand', 'scheduled']),
    status: z.enum(['running', 'completed', 'failed', 'cancelled', 'erased']).meta({ description: '`erased`: the bundle was deleted by a user erasure, as the tenant\'s policy asks (features.erasure.delete_export_bundles)' }),
    since: z.iso.datetime().nullable().meta({ description: 'messages and media created at or after this; null: from the beginning' }),
    until: z.iso.datetime().meta({ description: 'and before this, fixed when the export was asked for' }),
    progress: z.object({
      percent: z.number().int().min(0).max(100),
      messages_total: z.number().int(),
      messages_done: z.number().int(),
      media_bytes_total: bigCount,
      media_bytes_done: bigCount,
      bundle_bytes: bigCount.nullable().meta({ description: 'known once the bundle is laid out' }),
      uploaded_bytes: bigCount,
    }),
    warnings: z.number().int().nullable().meta({ description: "what the bundle leaves out (its warnings.json); null until it is known" }),
    manifest_sha256: z.string().nullable().meta({ description: "the bundle's manifest hash, when completed: what `scaiwave export verify` checks against" }),
    signed: z.boolean(),
    download_url: z.string().nullable().meta({ description: 'when completed: a short-lived URL of the bundle (a tar; docs/export-format.md)' }),
    download_expires_at: z.iso.datetime().nullable(),
    error: z.string().nullable(),
    created_at: z.iso.datetime(),
    completed_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'WaveRoomExport' });

export const roomExportView = (s: ExportStatus): z.input<typeof roomExport> => {
  const e = s.export;
  return {
    id: e.id,
    room_id: e.roomId,
    kind: e.kind as z.input<typeof roomExport>['kind'],
    status: e.status as z.input<typeof roomExport>['status'],
    since: iso(e.since),
    until: e.until.toISOString(),
    progress: {
      percent: s.percent,
      messages_total: e.messagesTotal,
      messages_done: s.messagesDone,
      media_bytes_total: Number(e.mediaBytesTotal),
      media_bytes_done: s.mediaBytesDone,
      bundle_bytes: e.bundleBytes === null ? null : Number(e.bundleBytes),
      uploaded_bytes: Number(e.uploadedBytes),
    },
    warnings: e.warnings,
    manifest_sha256: e.manifestSha256,
    signed: e.signed,
    download_url: s.downloadUrl,
    download_expires_at: iso(s.downloadExpiresAt),
    error: e.error,
    created_at: e.createdAt.toISOString(),
    completed_at: iso(e.completedAt),
  };
};
