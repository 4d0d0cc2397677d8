import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { createPool, type Connection, type Pool, type PoolConnection } from 'mariadb';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';
import type { Config } from '../config.js';

export type Db = PrismaClient;
export type SqlPool = Pool;
export { PrismaClient };

/**
 * How long a query or a transaction waits for a pooled connection. Prisma waits
 * 2 s for a transaction's connection (its `maxWait`), the driver 10 s for any
 * other query's; one wait for both, so every request of an overloaded process
 * gives up alike, and the API answers it 503 with Retry-After
 * (lib/infra/db-overload.ts) rather than holding it longer.
 */
export const POOL_WAIT_MS = 2000;

/**
 * Prisma over the mariadb driver's text protocol: one round trip and one
 * socket write per statement. Its default, the binary protocol without a
 * statement cache (the adapter turns the cache off: the driver it pins leaks
 * evicted statements), prepares, executes and closes every statement, three
 * commands and three writes, and those writes were the API's largest single
 * cost (docs/performance-notes.md, "wave.ts"). What the binary protocol guards against is
 * DECIMAL and FLOAT precision in text; this schema has neither (DOUBLE prints
 * exactly, BIGINT parameters go as integers).
 */
export function createDb(db: Config['db']): Db {
  const adapter = new PrismaMariaDb(
    {
      host: db.host,
      port: db.port,
      user: db.user,
      password: db.password,
      database: db.database,
      connectionLimit: db.poolSize,
      acquireTimeout: POOL_WAIT_MS,
      // Stored DATETIMEs are UTC; never let the driver shift them by the host's zone.
      timezone: 'Z',
    },
    { useTextProtocol: true },
  );
  return new PrismaClient({ adapter, transactionOptions: { maxWait: POOL_WAIT_MS } });
}

/**
 * A pool of the mariadb driver beside Prisma's, for the API's hottest reads
 * (the job poll; ScaiWave's pages, rooms and event log): there one Prisma
 * findFirst costs more CPU than a whole bare HTTP request, the driver about a
 * fifth of it. Prisma's adapter pins a
 * driver version of its own, so it cannot share this pool. Connections open on
 * demand, at most `connections`.
 */
export function createSqlPool(db: Config['db'], connections: number, opts: { initSql?: string } = {}): SqlPool {
  return createPool({
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.database,
    connectionLimit: connections,
    minimumIdle: 0,
    ...(opts.initSql ? { initSql: opts.initSql } : {}),
    acquireTimeout: POOL_WAIT_MS,
    timezone: 'Z',
  });
}

/**
 * Runs `fn` in a transaction on one of the pool's connections: committed if it
 * returns, rolled back if it throws. START TRANSACTION is not waited for: the
 * driver pipelines it with fn's first statement (one round trip, not two), and
 * the server runs a connection's commands in the order sent. It fails only
 * with its connection, which fails the statements after it too; either way
 * nothing is committed.
 */
export async function sqlTransaction<T>(pool: SqlPool, fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
  const conn = await pool.getConnection();
  try {
    const began = conn.beginTransaction();
    // Observed below, after fn: a rejection meanwhile must not count as unhandled.
    began.catch(() => undefined);
    try {
      const result = await fn(conn);
      await began;
      await conn.commit();
      return result;
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      throw err;
    }
  } finally {
    await conn.release();
  }
}

/**
 * Where one hand-written statement runs: on Prisma (the client, or a change's
 * transaction) or on the driver (the pool, or a transaction's connection). A
 * statement a change runs inside either kind of transaction is written once.
 */
export type SqlOn = Db | Prisma.TransactionClient | SqlPool | Connection;

/** The rows a SELECT answers, wherever it runs. */
export function sqlRows<T>(on: SqlOn, sql: string, params: unknown[]): Promise<T[]> {
  return '$queryRawUnsafe' in on ? on.$queryRawUnsafe<T[]>(sql, ...params) : on.query<T[]>(sql, params);
}

/** A write, wherever it runs. */
export async function sqlWrite(on: SqlOn, sql: string, params: unknown[]): Promise<void> {
  await ('$executeRawUnsafe' in on ? on.$executeRawUnsafe(sql, ...params) : on.query(sql, params));
}
