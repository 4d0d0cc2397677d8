import type { Db } from '../../../lib/infra/db.js';
import { inBatch, type BatchOutcome } from '../batch.js';

/**
 * Bundles already stored that may hold the user's messages or files: every
 * completed export of a room they were ever a member of. Listed, not deleted:
 * a compliance bundle is a record its tenant keeps on purpose, and whether it
 * goes is the tenant's policy, not this erasure's. The completeness scan
 * reports what they hold.
 */
export function listStoredBundles(deps: { db: Db }, erasureId: string): Promise<BatchOutcome> {
  return inBatch(deps.db, erasureId, 'exports', 0, async (tx, e) => {
    const rooms = await tx.waveRoomMemberLog.findMany({ where: { tenantId: e.tenantId, userId: { in: [e.userId, e.pseudonymId] } }, select: { roomId: true }, distinct: ['roomId'] });
    const bundles = await tx.waveExport.findMany({
      where: { tenantId: e.tenantId, roomId: { in: rooms.map((r) => r.roomId) }, status: 'completed' },
      select: { id: true, objectKey: true },
      orderBy: { id: 'asc' },
    });
    return { removed: 0, more: false, proof: { bundles_listed: bundles.map((b) => ({ export_id: b.id, object_key: b.objectKey })) } };
  });
}
