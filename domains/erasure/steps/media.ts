import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../../lib/config.js';
import type { Db } from '../../../lib/infra/db.js';
import { quarantineKey } from '../../wave/media.js';
import { inBatch, type BatchOutcome } from '../batch.js';

/** Files per batch: one DeleteObjects call holds up to 1000 keys, two per file. */
const MEDIA_BATCH = 200;

/** Every key a file may live under: where it was stored, and the quarantine copy a scan may have moved it to. */
function keysOf(objectKey: string): string[] {
  const stored = objectKey.startsWith('quarantine/') ? objectKey.slice('quarantine/'.length) : objectKey;
  return [stored, quarantineKey(stored)];
}

/** The files the user uploaded: their objects and quarantine copies deleted from S3, then their rows. */
export async function eraseMedia(deps: { db: Db; s3: S3Client; config: Config }, erasureId: string, batch: number): Promise<BatchOutcome> {
  return inBatch(deps.db, erasureId, 'media', batch, async (tx, e) => {
    const rows = await tx.waveMedia.findMany({ where: { tenantId: e.tenantId, ownerId: e.userId }, orderBy: { id: 'asc' }, take: MEDIA_BATCH });
    const keys = rows.flatMap((m) => keysOf(m.objectKey));
    if (keys.length > 0) {
      // Deleting a key that is not there succeeds: a repeat after a crash finds them gone.
      const out = await deps.s3.send(
        new DeleteObjectsCommand({ Bucket: deps.config.env.SCAIWAVE_S3_BUCKET, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
      );
      if (out.Errors && out.Errors.length > 0) throw new Error(`S3 refused to delete ${out.Errors.length} of the user's objects: ${out.Errors[0]!.Code ?? 'error'}`);
      await tx.waveMedia.deleteMany({ where: { id: { in: rows.map((m) => m.id) } } });
    }
    return { removed: rows.length, more: rows.length === MEDIA_BATCH, proof: { media_ids: rows.map((m) => m.id), object_keys_deleted: keys } };
  });
}
