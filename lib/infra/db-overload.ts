// The errors that say a query or transaction got no pooled connection in time
// (lib/infra/db.ts POOL_WAIT_MS): the process is overloaded, and the statement
// never reached MariaDB. Prisma and the mariadb driver each say it their own way.

/** mariadb's ER_GET_CONNECTION_TIMEOUT: its pool had no connection free in time. */
const DRIVER_POOL_TIMEOUT = 45028;

interface DbErrorShape {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
  meta?: { driverAdapterError?: { cause?: { code?: unknown } } };
}

export function isPoolExhausted(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as DbErrorShape;
  // Prisma's transaction manager: the transaction never began. P2028 also names
  // other transaction faults (expired, already closed), so the message decides.
  if (e.code === 'P2028') return typeof e.message === 'string' && e.message.includes('Unable to start a transaction in the given time');
  // Prisma's query engine pool (the Rust engine; our adapter's pool says it as below).
  if (e.code === 'P2024') return true;
  // The driver's pool, read directly (createSqlPool) or through Prisma's adapter.
  return e.errno === DRIVER_POOL_TIMEOUT || e.meta?.driverAdapterError?.cause?.code === DRIVER_POOL_TIMEOUT;
}
