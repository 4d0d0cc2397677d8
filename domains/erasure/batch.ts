import type { Prisma, WaveUserErasure } from '../../lib/generated/prisma/client.js';
import type { Db } from '../../lib/infra/db.js';
import { failure } from '../../lib/temporal/failures.js';

// Exactly once per batch, whatever dies when. A batch is numbered by the
// workflow (store, 0, 1, 2…), and its receipt is inserted in the transaction
// that makes its change: a batch repeated after a crash finds its receipt and
// answers what it recorded, without touching anything again. A batch that
// removes something outside MariaDB (S3 objects, stream messages, index rows)
// does so before its transaction commits, while its rows are locked; a crash
// in between leaves the rows, and the repeat removes the same things again,
// which finds them gone. Two attempts at once (a retry while a timed-out
// attempt still runs) collide on the receipt's key, and only one commits.

export const ERASURE_STORES = [
  'identity',
  'scaiecho_jobs',
  'speakers',
  'messages',
  'mentions',
  'reactions',
  'media',
  'events',
  'job_events',
  'accounting',
  'references',
  'exports',
  'payload_keys',
] as const;
export type ErasureStore = (typeof ERASURE_STORES)[number];

export interface BatchOutcome {
  removed: number;
  /** whether another batch of this store may find more */
  more: boolean;
}

/** What a batch did: its count, whether there may be more, and the proof (ids, keys, sequences: never content). */
export interface BatchWork extends BatchOutcome {
  proof: Prisma.InputJsonObject;
}

/** Long enough for a batch's S3 and index removals, which run inside the transaction. */
const BATCH_TRANSACTION_MS = 120_000;

export async function erasureOf(db: Db, erasureId: string): Promise<WaveUserErasure> {
  const e = await db.waveUserErasure.findUnique({ where: { id: erasureId } });
  if (!e) throw failure('ERASURE_NOT_FOUND', `erasure ${erasureId} does not exist`);
  return e;
}

export async function inBatch(
  db: Db,
  erasureId: string,
  store: ErasureStore,
  batch: number,
  work: (tx: Prisma.TransactionClient, e: WaveUserErasure) => Promise<BatchWork>,
): Promise<BatchOutcome> {
  const where = { erasureId_store_batch: { erasureId, store, batch } };
  const done = await db.waveUserErasureReceipt.findUnique({ where });
  if (done) return { removed: done.removed, more: (done.detail as { more?: boolean }).more === true };
  const e = await erasureOf(db, erasureId);
  return db.$transaction(
    async (tx) => {
      const w = await work(tx, e);
      await tx.waveUserErasureReceipt.create({ data: { erasureId, store, batch, removed: w.removed, detail: { ...w.proof, more: w.more } } });
      return { removed: w.removed, more: w.more };
    },
    { timeout: BATCH_TRANSACTION_MS, maxWait: 10_000 },
  );
}
