import { destroySubjectKeys } from '../../../lib/codec/payload-keys.js';
import type { Db } from '../../../lib/infra/db.js';
import { inBatch } from '../batch.js';

/**
 * Last, once every other store is done and nothing needs the user's payloads:
 * their payload keys (lib/codec/) are destroyed, so whatever Temporal keeps
 * sealed under them (histories, backups) can never be read again; the receipt
 * names the keys. The erasure completes in the same transaction.
 */
export async function completeErasure(deps: { db: Db }, erasureId: string): Promise<void> {
  await inBatch(deps.db, erasureId, 'payload_keys', 0, async (tx, e) => {
    const destroyed = await destroySubjectKeys(tx, { scope: 'user', id: e.userId });
    await tx.waveUserErasure.updateMany({ where: { id: erasureId, status: 'running' }, data: { status: 'completed', completedAt: new Date() } });
    return { removed: destroyed.length, more: false, proof: { payload_keys_destroyed: destroyed } };
  });
}
