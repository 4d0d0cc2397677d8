import type { Db } from '../../lib/infra/db.js';

/** What a ScaiWave change needs: the database, and the relay to wake once its events are committed. */
export interface WaveDeps {
  db: Db;
  outbox: { wake(): void };
}

/**
 * A change: the transaction that makes it and records its outbox events, as
 * one. Prisma's (`deps.db.$transaction`) for most; the driver's
 * (`sqlTransaction`) for the change made most often, a post
 * (domains/wave/messages.ts). Once it has committed the relay is woken, so the
 * events go out at once rather than at its next poll.
 */
export async function change<T>(deps: Pick<WaveDeps, 'outbox'>, transaction: Promise<T>): Promise<T> {
  const result = await transaction;
  deps.outbox.wake();
  return result;
}
