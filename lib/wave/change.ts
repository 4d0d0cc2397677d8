import type { Prisma } from '../generated/prisma/client.js';
import type { Db } from '../infra/db.js';

/** What a ScaiWave change needs: the database, and the relay to wake once its events are committed. */
export interface WaveDeps {
  db: Db;
  outbox: { wake(): void };
}

/**
 * Runs one change and its outbox events as a transaction, then wakes the
 * relay so the events go out at once rather than at its next poll.
 */
export async function change<T>(deps: WaveDeps, fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  const result = await deps.db.$transaction(fn);
  deps.outbox.wake();
  return result;
}
