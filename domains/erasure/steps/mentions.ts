import type { Db } from '../../../lib/infra/db.js';
import { inBatch, type BatchOutcome } from '../batch.js';

const MENTION_BATCH = 500;

/** Other people's messages that mention the user mention the pseudonym instead: their text is theirs, the user's id is not. */
export async function anonymiseMentions(deps: { db: Db }, erasureId: string, batch: number): Promise<BatchOutcome> {
  return inBatch(deps.db, erasureId, 'mentions', batch, async (tx, e) => {
    const rows = await tx.$queryRaw<{ id: string; mentions: string | string[] }[]>`
      SELECT id, mentions FROM wave_messages
      WHERE tenant_id = ${e.tenantId} AND JSON_CONTAINS(mentions, JSON_QUOTE(${e.userId}))
      ORDER BY id LIMIT ${MENTION_BATCH} FOR UPDATE`;
    for (const r of rows) {
      const mentions = (typeof r.mentions === 'string' ? (JSON.parse(r.mentions) as string[]) : r.mentions).map((u) => (u === e.userId ? e.pseudonymId : u));
      await tx.waveMessage.update({ where: { id: r.id }, data: { mentions: [...new Set(mentions)] } });
    }
    return { removed: rows.length, more: rows.length === MENTION_BATCH, proof: { message_ids: rows.map((r) => r.id) } };
  });
}
