import type { Db } from '../../../lib/infra/db.js';
import { appendEvents } from '../../wave/outbox.js';
import { inBatch, type BatchOutcome } from '../batch.js';
import { lockRooms } from './room-lock.js';

const REACTION_BATCH = 500;

/** The user's reactions go, each with its `reaction.removed` event (under the pseudonym) so clients drop it too. */
export async function removeReactions(deps: { db: Db }, erasureId: string, batch: number): Promise<BatchOutcome> {
  return inBatch(deps.db, erasureId, 'reactions', batch, async (tx, e) => {
    const rows = await tx.waveReaction.findMany({
      where: { tenantId: e.tenantId, userId: e.userId },
      include: { message: { select: { roomId: true } } },
      orderBy: [{ messageId: 'asc' }, { emoji: 'asc' }],
      take: REACTION_BATCH,
    });
    await lockRooms(tx, rows.map((r) => r.message.roomId));
    // Exactly these rows, in one statement: each removed reaction has its event, and a reaction beyond this batch waits for the next.
    if (rows.length > 0) await tx.waveReaction.deleteMany({ where: { userId: e.userId, OR: rows.map((r) => ({ messageId: r.messageId, emoji: r.emoji })) } });
    await appendEvents(
      tx,
      'reaction.removed',
      rows.map((r) => ({ tenantId: e.tenantId, roomId: r.message.roomId, actorId: e.pseudonymId, messageId: r.messageId, emoji: r.emoji })),
    );
    return { removed: rows.length, more: rows.length === REACTION_BATCH, proof: { message_ids: [...new Set(rows.map((r) => r.messageId))] } };
  });
}
