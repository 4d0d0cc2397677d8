import { Client, Connection as TemporalConnection } from '@temporalio/client';
import mariadb, { type Connection } from 'mariadb';
import { loadConfigOrExit, type Config } from '../lib/config.js';
import { createPayloadSealing } from '../lib/codec/data-converter.js';
import { createDb, type Db } from '../lib/infra/db.js';
import type { CredentialChange } from '../lib/auth/credential-cache.js';
import { CliError, EXIT, oneLine } from './support.js';

// The stores a command talks to, opened for one command and always closed, so
// the process exits promptly. Loaded only by the commands' actions.

/**
 * Fails fast with a clear line when MariaDB cannot be reached, instead of the
 * Prisma pool's retries and its multi-line error ~20 s later.
 */
async function checkReachable(db: Config['db']): Promise<void> {
  const where = `${db.host}:${db.port}/${db.database}`;
  let conn: Connection | undefined;
  try {
    conn = await mariadb.createConnection({
      host: db.host,
      port: db.port,
      user: db.user,
      password: db.password,
      database: db.database,
      connectTimeout: CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    const hint = (err as { errno?: number }).errno === 1049 ? ' (has `scaiwave migrate` run?)' : '';
    throw new CliError(EXIT.failure, `cannot connect to MariaDB at ${where}: ${oneLine(err)}${hint}`);
  } finally {
    await conn?.end().catch(() => conn?.destroy());
  }
}

const CONNECT_TIMEOUT_MS = 5_000;

/** Opens the database for one command and always closes it, so the process exits promptly. */
export async function withDb<T>(fn: (ctx: { db: Db; config: Config }) => Promise<T>): Promise<T> {
  const config = loadConfigOrExit();
  await checkReachable(config.db);
  const db = createDb(config.db);
  try {
    return await fn({ db, config });
  } finally {
    await db.$disconnect().catch(() => {});
  }
}

/**
 * Tells the API processes a credential changed (lib/auth/credential-changes.ts),
 * after the change is committed. Unreachable Redis is a warning, not a failure:
 * the change holds, and cached copies expire within SCAIWAVE_AUTH_CACHE_SECONDS.
 */
export async function announceCredentialChange(config: Config, change: CredentialChange): Promise<void> {
  // Loaded here, not at start: only the commands that change credentials need Redis.
  const { announceOnce } = await import('../lib/auth/credential-changes.js');
  try {
    await announceOnce(config, change);
  } catch (err) {
    process.stderr.write(
      `warning: could not tell the API processes over Redis (${oneLine(err)}); ` +
        `they may still accept the old credential for up to ${config.env.SCAIWAVE_AUTH_CACHE_SECONDS} s\n`,
    );
  }
}

/** Connects to Temporal for one command, failing fast with one line when it does not answer. */
export async function withTemporal<T>(fn: (ctx: { client: Client; config: Config }) => Promise<T>): Promise<T> {
  const config = loadConfigOrExit();
  const address = config.env.SCAIWAVE_TEMPORAL_ADDRESS;
  let connection: TemporalConnection;
  try {
    connection = await TemporalConnection.connect({ address, connectTimeout: CONNECT_TIMEOUT_MS });
  } catch (err) {
    throw new CliError(EXIT.failure, `cannot connect to Temporal at ${address}: ${oneLine(err)}`);
  }
  const sealing = createPayloadSealing(config);
  try {
    return await fn({ client: new Client({ connection, namespace: config.env.SCAIWAVE_TEMPORAL_NAMESPACE, dataConverter: sealing.dataConverter }), config });
  } finally {
    await connection.close().catch(() => {});
    await sealing.close();
  }
}
