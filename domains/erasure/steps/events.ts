import type { JetStreamManager, MsgRequest } from 'nats';
import type { Config } from '../../../lib/config.js';
import { Prisma } from '../../../lib/generated/prisma/client.js';
import type { Db } from '../../../lib/infra/db.js';
import type { NatsHandle } from '../../../lib/infra/nats-handle.js';
import { streamName, subject } from '../../../lib/infra/nats.js';
import { scaiechoJobsStream } from '../../../lib/events/jetstream.js';
import { waveRoomsStream } from '../../wave/events.js';
import { inBatch, type BatchOutcome } from '../batch.js';

// Events carry ids, never content (domains/wave/events.ts, job-events.ts), but
// the ids name the user. Room events: the outbox row (also the log clients sync
// from) is rewritten to name the pseudonym, and the copy JetStream stored is
// erased (deleted with its bytes overwritten) by the sequence the row holds.
// Job events have no row: the jobs stream is read, the tenant's subjects only,
// and each message naming the user is erased.

const OUTBOX_BATCH = 500;
/** Messages of the jobs stream read per batch; the next batch starts where this one stopped. */
const STREAM_SCAN = 2000;

/** Erases one stored message; one already gone (or aged out) is as good. */
async function eraseStored(jsm: JetStreamManager, stream: string, seq: number): Promise<void> {
  try {
    await jsm.streams.deleteMessage(stream, seq, true);
  } catch (err) {
    if (!/no message found|not found/i.test(String((err as Error).message))) throw err;
  }
}

/**
 * The server's STREAM.MSG.GET answers `next_by_subj` (first message at or after
 * `seq` on a subject filter) since 2.9, but the client types only declare it for
 * the direct-get API, which needs `allow_direct` on the stream; the request is
 * passed through unchanged, so only the type is widened here.
 */
function nextOnSubject(q: { next_by_subj: string; seq: number }): MsgRequest {
  return q as unknown as MsgRequest;
}

export async function rewriteRoomEvents(deps: { db: Db; nats: NatsHandle; config: Config }, erasureId: string, batch: number): Promise<BatchOutcome> {
  return inBatch(deps.db, erasureId, 'events', batch, async (tx, e) => {
    const rows = await tx.$queryRaw<{ id: bigint; stream_seq: bigint | null }[]>`
      SELECT id, stream_seq FROM wave_outbox
      WHERE tenant_id = ${e.tenantId} AND LOCATE(${e.userId}, payload) > 0
      ORDER BY id LIMIT ${OUTBOX_BATCH} FOR UPDATE`;
    const jsm = await deps.nats.get().jetstreamManager();
    const stream = streamName(deps.config, waveRoomsStream.name);
    const erased: number[] = [];
    for (const r of rows) {
      if (r.stream_seq === null) continue;
      await eraseStored(jsm, stream, Number(r.stream_seq));
      erased.push(Number(r.stream_seq));
    }
    if (rows.length > 0) {
      const ids = rows.map((r) => r.id);
      await tx.$executeRaw`UPDATE wave_outbox SET payload = REPLACE(payload, ${e.userId}, ${e.pseudonymId}) WHERE id IN (${Prisma.join(ids)})`;
    }
    return { removed: rows.length, more: rows.length === OUTBOX_BATCH, proof: { outbox_rows_rewritten: rows.length, stream, sequences_erased: erased } };
  });
}

export async function eraseJobEvents(deps: { db: Db; nats: NatsHandle; config: Config }, erasureId: string, batch: number): Promise<BatchOutcome> {
  return inBatch(deps.db, erasureId, 'job_events', batch, async (tx, e) => {
    const before = batch === 0 ? null : await tx.waveUserErasureReceipt.findUnique({ where: { erasureId_store_batch: { erasureId, store: 'job_events', batch: batch - 1 } } });
    let seq = before ? (before.detail as { next_seq: number }).next_seq : 1;
    const jsm = await deps.nats.get().jetstreamManager();
    const stream = streamName(deps.config, scaiechoJobsStream.name);
    const filter = subject(deps.config, `scaiecho.jobs.${e.tenantId}.>`);
    const erased: number[] = [];
    const needle = Buffer.from(e.userId);
    let more = true;
    for (let read = 0; read < STREAM_SCAN; read++) {
      const m = await jsm.streams.getMessage(stream, nextOnSubject({ next_by_subj: filter, seq })).catch((err: Error) => {
        if (/no message found|not found/i.test(err.message)) return null;
        throw err;
      });
      if (!m) {
        more = false;
        break;
      }
      if (Buffer.from(m.data).includes(needle)) {
        await eraseStored(jsm, stream, m.seq);
        erased.push(m.seq);
      }
      seq = m.seq + 1;
    }
    return { removed: erased.length, more, proof: { stream, sequences_erased: erased, next_seq: seq } };
  });
}
