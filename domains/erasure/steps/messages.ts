import type { SearchServices } from '../../../lib/search-index/search-services.js';
import type { Db } from '../../../lib/infra/db.js';
import { appendEvents } from '../../wave/outbox.js';
import { inBatch, type BatchOutcome } from '../batch.js';
import { lockRooms } from './room-lock.js';

/** Messages per batch: one transaction, one physical removal from the search index. */
const MESSAGE_BATCH = 200;

/**
 * A batch of the user's messages. `redact` (the default) leaves each a
 * tombstone under the pseudonym: no text, no mentions, no revisions, its place
 * in the room and its thread kept. `delete` removes the rows, but a message
 * others replied to stays as a tombstone so their thread still holds. Either
 * way the messages leave the search index physically, and each one's
 * `message.deleted` event tells clients and the indexer.
 */
export async function eraseMessages(deps: { db: Db; search: SearchServices }, erasureId: string, batch: number): Promise<BatchOutcome> {
  return inBatch(deps.db, erasureId, 'messages', batch, async (tx, e) => {
    const found = await tx.waveMessage.findMany({
      where: { tenantId: e.tenantId, authorId: e.userId },
      select: { id: true, roomId: true, seq: true, deletedAt: true },
      orderBy: { id: 'asc' },
      take: MESSAGE_BATCH,
    });
    const ids = found.map((m) => m.id);
    if (ids.length === 0) return { removed: 0, more: false, proof: { message_ids: [] } };
    await lockRooms(tx, found.map((m) => m.roomId));
    await (await deps.search.index()).remove(e.tenantId, ids);

    const replied = new Set(
      e.mode === 'delete'
        ? (await tx.waveMessage.findMany({ where: { threadParentId: { in: ids }, authorId: { not: e.userId } }, select: { threadParentId: true } })).map(
            (r) => r.threadParentId!,
          )
        : ids,
    );
    const gone = ids.filter((id) => !replied.has(id));
    const kept = ids.filter((id) => replied.has(id));

    const revisions = await tx.waveMessageRevision.deleteMany({ where: { messageId: { in: ids } } });
    if (gone.length > 0) {
      await tx.waveReaction.deleteMany({ where: { messageId: { in: gone } } });
      await tx.waveMessage.deleteMany({ where: { id: { in: gone } } });
    }
    if (kept.length > 0) {
      const now = new Date();
      await tx.waveMessage.updateMany({ where: { id: { in: kept }, deletedAt: null }, data: { deletedAt: now, deletedById: e.pseudonymId } });
      await tx.waveMessage.updateMany({ where: { id: { in: kept } }, data: { body: null, mentions: [], authorId: e.pseudonymId } });
    }
    await appendEvents(
      tx,
      'message.deleted',
      found.map((m) => ({ tenantId: e.tenantId, roomId: m.roomId, actorId: e.pseudonymId, messageId: m.id, seq: m.seq.toString() })),
    );
    return {
      removed: ids.length,
      more: ids.length === MESSAGE_BATCH,
      proof: { message_ids: ids, rows_deleted: gone.length, tombstoned: kept.length, revisions_deleted: revisions.count, index_removed: ids.length },
    };
  });
}
