import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../../lib/config.js';
import type { Db } from '../../../lib/infra/db.js';
import { inBatch, type BatchOutcome } from '../batch.js';

/** tenants.features.erasure.delete_export_bundles: the tenant's policy on bundles that may hold an erased user. */
const deletesBundles = (features: unknown): boolean =>
  ((features ?? {}) as { erasure?: { delete_export_bundles?: unknown } }).erasure?.delete_export_bundles === true;

/**
 * Bundles already stored that may hold the user's messages or files: every
 * completed export of a room they were ever a member of. A compliance bundle
 * is a record its tenant keeps on purpose, so by default they are listed, not
 * deleted, and the completeness scan reports what they hold. A tenant whose
 * policy says otherwise (features.erasure.delete_export_bundles) has them
 * deleted from S3 and marked `erased`: no download is offered for them again.
 */
export function eraseStoredBundles(deps: { db: Db; s3: S3Client; config: Config }, erasureId: string): Promise<BatchOutcome> {
  return inBatch(deps.db, erasureId, 'exports', 0, async (tx, e) => {
    const rooms = await tx.waveRoomMemberLog.findMany({ where: { tenantId: e.tenantId, userId: { in: [e.userId, e.pseudonymId] } }, select: { roomId: true }, distinct: ['roomId'] });
    const bundles = await tx.waveExport.findMany({
      where: { tenantId: e.tenantId, roomId: { in: rooms.map((r) => r.roomId) }, status: 'completed' },
      select: { id: true, objectKey: true },
      orderBy: { id: 'asc' },
    });
    const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: e.tenantId }, select: { features: true } });
    const listed = bundles.map((b) => ({ export_id: b.id, object_key: b.objectKey }));
    if (!deletesBundles(tenant.features) || bundles.length === 0) return { removed: 0, more: false, proof: { bundles_listed: listed, policy: 'keep' } };
    // Deleting a key that is not there succeeds: a repeat after a crash finds them gone.
    for (const b of bundles) await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.config.env.SCAIWAVE_S3_BUCKET, Key: b.objectKey }));
    await tx.waveExport.updateMany({ where: { id: { in: bundles.map((b) => b.id) } }, data: { status: 'erased', error: `deleted by user erasure ${erasureId}` } });
    return { removed: bundles.length, more: false, proof: { bundles_deleted: listed, policy: 'delete' } };
  });
}
