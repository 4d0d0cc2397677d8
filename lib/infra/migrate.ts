import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createConnection, type Connection, type SqlError } from 'mariadb';
import type { Config } from '../config.js';
import { projectFile } from './project-files.js';

// Applies prisma/migrations the way `prisma migrate deploy` does, without Prisma's
// schema engine (which cannot be downloaded everywhere we deploy). It writes the
// same `_prisma_migrations` bookkeeping, so either tool can take over from the other.

/** Resolved from the code's place, not the cwd, so the CLI works from any directory. */
const migrationsDir = projectFile('prisma', 'migrations');

// Prisma's own lock name: our migrator and `prisma migrate deploy` exclude each other.
// GET_LOCK is server-wide, so migrations of different databases on one server queue
// up too; that only costs time.
const LOCK_NAME = 'prisma_migrate';
// Replicas starting together all run migrations; the losers wait for the winner
// (then find nothing left to do) rather than fail as Prisma does after 10 s.
const LOCK_WAIT_SECONDS = 300;

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS \`_prisma_migrations\` (
    \`id\` VARCHAR(36) NOT NULL,
    \`checksum\` VARCHAR(64) NOT NULL,
    \`finished_at\` DATETIME(3) NULL,
    \`migration_name\` VARCHAR(255) NOT NULL,
    \`logs\` TEXT NULL,
    \`rolled_back_at\` DATETIME(3) NULL,
    \`started_at\` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    \`applied_steps_count\` INTEGER UNSIGNED NOT NULL DEFAULT 0,

    PRIMARY KEY (\`id\`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin`;

export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

interface Migration {
  name: string;
  sql: string;
  /** sha256 hex of migration.sql's bytes, as Prisma records it */
  checksum: string;
}

interface MigrationRow {
  id: string;
  migration_name: string;
  checksum: string;
  started_at: Date;
  finished_at: Date | null;
  logs: string | null;
}

export async function readMigrations(): Promise<Migration[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      let bytes: Buffer;
      try {
        bytes = await readFile(join(migrationsDir, name, 'migration.sql'));
      } catch (err) {
        throw new MigrationError(`migration folder ${name} has no readable migration.sql`, { cause: err });
      }
      return { name, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') };
    }),
  );
}

const ident = (name: string) => `\`${name.replace(/`/g, '``')}\``;

export async function applyMigrations(
  db: Config['db'],
  opts: { log?: (line: string) => void } = {},
): Promise<{ applied: string[]; alreadyApplied: string[] }> {
  const log = opts.log ?? (() => {});
  const migrations = await readMigrations();
  const conn = await createConnection({
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    multipleStatements: true,
    // Bookkeeping times are UTC, like every other DATETIME we store.
    timezone: 'Z',
  });
  try {
    // A production user may lack the CREATE privilege, which MariaDB checks even with IF NOT EXISTS.
    const existing = (await conn.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [
      db.database,
    ])) as unknown[];
    if (existing.length === 0) {
      // Text compares byte for byte everywhere (see migration 20261126000000_identifiers_byte_exact).
      await conn.query(
        `CREATE DATABASE IF NOT EXISTS ${ident(db.database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin`,
      );
    }
    await conn.query(`USE ${ident(db.database)}`);
    const [lock] = (await conn.query('SELECT GET_LOCK(?, ?) AS got', [LOCK_NAME, LOCK_WAIT_SECONDS])) as {
      got: number | null;
    }[];
    if (lock?.got !== 1) {
      throw new MigrationError(
        `another migrator held the '${LOCK_NAME}' lock on ${db.host}:${db.port} for over ${LOCK_WAIT_SECONDS}s; ` +
          `see SELECT IS_USED_LOCK('${LOCK_NAME}') and the process list`,
      );
    }
    // The lock is released when the session ends, including when this process dies.
    return await applyPending(conn, migrations, log);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

async function applyPending(
  conn: Connection,
  migrations: Migration[],
  log: (line: string) => void,
): Promise<{ applied: string[]; alreadyApplied: string[] }> {
  await conn.query(CREATE_MIGRATIONS_TABLE);
  // Rows an operator marked rolled back no longer count, as with `prisma migrate resolve --rolled-back`.
  const rows = (await conn.query(
    `SELECT id, migration_name, checksum, started_at, finished_at, logs FROM _prisma_migrations
     WHERE rolled_back_at IS NULL ORDER BY started_at, migration_name`,
  )) as MigrationRow[];

  const unfinished = rows.find((r) => r.finished_at === null);
  if (unfinished) {
    throw new MigrationError(
      `migration ${unfinished.migration_name} started at ${unfinished.started_at.toISOString()} and never finished` +
        (unfinished.logs ? ` (${unfinished.logs})` : '') +
        '. Its changes may be half applied, so nothing more will run until an operator repairs the database ' +
        'and then either marks it rolled back so it runs again (UPDATE _prisma_migrations SET rolled_back_at = ' +
        `UTC_TIMESTAMP(3) WHERE id = '${unfinished.id}') or completes it by hand and sets finished_at.`,
    );
  }

  const recorded = new Map(rows.map((r) => [r.migration_name, r]));
  for (const m of migrations) {
    const row = recorded.get(m.name);
    if (row && row.checksum !== m.checksum) {
      throw new MigrationError(
        `migration ${m.name} was edited after it was applied ` +
          `(recorded checksum ${row.checksum}, file has ${m.checksum}). ` +
          'Applied migrations are immutable: restore the original file and put the change in a new migration.',
      );
    }
  }
  const known = new Set(migrations.map((m) => m.name));
  for (const r of rows) {
    if (!known.has(r.migration_name)) {
      log(`note: ${r.migration_name} is applied in the database but has no folder here (newer code ran against it?)`);
    }
  }

  const applied: string[] = [];
  const alreadyApplied: string[] = [];
  for (const m of migrations) {
    if (recorded.has(m.name)) {
      alreadyApplied.push(m.name);
      log(`already applied ${m.name}`);
      continue;
    }
    const id = randomUUID();
    // Recorded before running so a crash mid-script leaves the unfinished row that stops the next run.
    await conn.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES (?, ?, ?, UTC_TIMESTAMP(3), 0)`,
      [id, m.checksum, m.name],
    );
    try {
      await conn.query(m.sql);
    } catch (err) {
      // sqlMessage leaves out the driver's copy of the whole script that `message` carries.
      const reason = (err as Partial<SqlError>).sqlMessage ?? (err instanceof Error ? err.message : String(err));
      await conn.query('UPDATE _prisma_migrations SET logs = ? WHERE id = ?', [reason, id]);
      throw new MigrationError(
        `migration ${m.name} failed: ${reason}. MariaDB DDL is not transactional, so earlier statements ` +
          'of it may have been applied; an operator must repair the database before migrations can run again.',
        { cause: err },
      );
    }
    await conn.query(
      'UPDATE _prisma_migrations SET finished_at = UTC_TIMESTAMP(3), applied_steps_count = 1 WHERE id = ?',
      [id],
    );
    applied.push(m.name);
    log(`applied ${m.name}`);
  }
  return { applied, alreadyApplied };
}
