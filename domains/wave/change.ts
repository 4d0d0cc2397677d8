import type { Connection } from 'mariadb';
import type { Prisma } from '../../lib/generated/prisma/client.js';
import { sqlTransaction, type Db, type SqlPool } from '../../lib/infra/db.js';

/** What a ScaiWave change needs: the database, and the relay to wake once its events are committed. */
export interface WaveDeps {
  db: Db;
  outbox: { wake(): void };
}

/** A change made through the driver (changeSql) needs its pool too. */
export interface WaveSqlDeps extends WaveDeps {
  sql: SqlPool;
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

/**
 * change(), through the driver, for the change made most often (a post,
 * domains/wave/messages.ts): each statement one round trip of its own SQL, where
 * Prisma reads every row it writes back. A connection not free in time fails
 * before the transaction begins, as Prisma's does (lib/infra/db-overload.ts).
 */
export async function changeSql<T>(deps: WaveSqlDeps, fn: (conn: Connection) => Promise<T>): Promise<T> {
  const result = await sqlTransaction(deps.sql, fn);
  deps.outbox.wake();
  return result;
}
