import { Client, Connection as TemporalConnection } from '@temporalio/client';
import mariadb, { type Connection } from 'mariadb';
import { loadConfigOrExit, type Config } from '../lib/config.js';
import { createDb, type Db } from '../lib/infra/db.js';
import type { CredentialChange } from '../lib/auth/credential-cache.js';
import { AppError } from '../lib/errors.js';

// What every command group shares: exit codes scripts can rely on, one error
// type that carries its exit code, the database lifecycle and output helpers.

export const EXIT = {
  ok: 0,
  /** operational failure: database unreachable, unexpected error */
  failure: 1,
  /** bad arguments (commander's own errors too) */
  usage: 2,
  /** unknown tenant, user or key */
  notFound: 3,
  /** the thing to create already exists */
  conflict: 4,
  /** the run ended but left work undone: an identity sync held back by its guard or failed for a tenant */
  incomplete: 5,
  /** invalid SCAIWAVE_* configuration (loadConfigOrExit, sysexits EX_CONFIG) */
  config: 78,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0   success
  1   operational failure (database unreachable, unexpected error)
  2   usage error (unknown command, bad or missing arguments)
  3   not found (unknown tenant, user or API key)
  4   conflict (already exists, or the object's state forbids it)
  5   incomplete (e.g. an identity sync held back by its guard, or failed, for some tenant)
  78  invalid SCAIWAVE_* configuration`;

export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const notFound = (message: string): CliError => new CliError(EXIT.notFound, message);
export const conflict = (message: string): CliError => new CliError(EXIT.conflict, message);
export const usage = (message: string): CliError => new CliError(EXIT.usage, message);

const appErrorExit: Partial<Record<AppError['code'], number>> = {
  VALIDATION_ERROR: EXIT.usage,
  NOT_FOUND: EXIT.notFound,
  CONFLICT: EXIT.conflict,
};

/** One line for stderr and the exit code it goes with. */
export function describeError(err: unknown): { exitCode: number; message: string } {
  if (err instanceof CliError) return { exitCode: err.exitCode, message: err.message };
  if (err instanceof AppError) return { exitCode: appErrorExit[err.code] ?? EXIT.failure, message: err.message };
  return { exitCode: EXIT.failure, message: oneLine(err) };
}

/** Collapses a multi-line message (driver and Prisma errors span several lines). */
const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

function oneLine(err: unknown): string {
  // Prisma's own message opens with a source excerpt; the driver's reason is in meta.
  const driver = (err as { meta?: { driverAdapterError?: { cause?: { message?: unknown; cause?: unknown } } } })?.meta
    ?.driverAdapterError?.cause;
  if (driver && typeof driver.message === 'string') {
    return squash(driver.message) + (typeof driver.cause === 'string' ? `: ${squash(driver.cause)}` : '');
  }
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const text = squash(e instanceof Error ? e.message : String(e));
    if (text && !parts.some((p) => p.includes(text))) parts.push(text);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ') || 'unknown error';
}

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
  try {
    return await fn({ client: new Client({ connection, namespace: config.env.SCAIWAVE_TEMPORAL_NAMESPACE }), config });
  } finally {
    await connection.close().catch(() => {});
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function print(...lines: string[]): void {
  process.stdout.write(lines.map((l) => `${l}\n`).join(''));
}

/** Left-aligned columns separated by two spaces. */
export function formatTable(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

export const API_KEY_WARNING =
  'This API key is shown only once and cannot be retrieved later. Store it somewhere safe now.';
