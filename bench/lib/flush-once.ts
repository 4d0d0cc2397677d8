import { randomUUID } from 'node:crypto';
import { applyBatch, claimBatch, clearBatch } from '../../domains/accounting/flush.js';
import type { Db } from '../../lib/infra/db.js';
import type { Redis } from '../../lib/infra/redis.js';

export interface FlushSample {
  durationMs: number;
  applyMs: number;
  counters: number;
  /** oldest event of the batches applied → their commit */
  lagMs: number | null;
}

/** One flush as the workflow runs it: claim, then apply and clear every pending batch. */
export async function flushOnce(db: Db, redis: Redis): Promise<FlushSample> {
  const t0 = performance.now();
  const pending = await claimBatch(redis, `bench-${randomUUID()}`);
  let counters = 0;
  let applyMs = 0;
  let lagMs: number | null = null;
  for (const id of pending) {
    const a0 = performance.now();
    const outcome = await applyBatch(db, redis, id);
    applyMs += performance.now() - a0;
    await clearBatch(db, redis, id);
    if (outcome.status === 'applied') {
      counters += outcome.counters;
      if (outcome.firstEventAt) lagMs = Math.max(lagMs ?? 0, Date.now() - Date.parse(outcome.firstEventAt));
    }
  }
  return { durationMs: performance.now() - t0, applyMs, counters, lagMs };
}
