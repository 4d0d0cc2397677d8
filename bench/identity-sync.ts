import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mariadb from 'mariadb';
import { startIdpProcess } from '../devstack/idp/process.js';
import { freePort } from '../devstack/ports.js';
import type { ManagedProcess } from '../devstack/process.js';
import { ensureSystemServices } from '../devstack/system-services.js';
import { loadConfig, type Config } from '../lib/config.js';
import { createDb, type Db } from '../lib/infra/db.js';
import { beginRun, finishRun, type RunCounts } from '../domains/identity/runs.js';
import { syncTenant } from '../domains/identity/sync.js';
import { applyMigrations } from '../lib/infra/migrate.js';
import { provisionTenant } from '../domains/identity/provisioning.js';
import { createUser } from '../lib/tenancy/users.js';
import { fmt, table } from './lib/stats.js';
import { wholeNumberOptions } from './lib/options.js';

// Identity sync of a large directory: a tenant with a few local users (as
// `npm start` leaves one) and a reference ScaiKey directory of --users users.
// Three runs through syncTenant, the function the sync activity calls (SCIM
// read, plan, chunked writes, progress rows): the first adds everyone, the
// second finds --changed profiles changed and --gone users gone, the third
// finds nothing to do (the hourly steady state). Baseline in the same run: as
// many rows written as raw multi-row INSERTs (1,000 rows per statement,
// autocommit) into a copy of `users`. Temporal's own scheduling (three
// activities, tens of ms) is not in these figures.
//
//   node --import tsx bench/identity-sync.ts [--users 10000] ...   (--help lists all)
//
// Needs MariaDB (started as a child when installed but stopped). Uses its own
// database and reference IdP process and removes both at the end.

const OPTIONS = {
  users: { default: 10_000, help: 'directory users' },
  local: { default: 14, help: 'local users in the tenant (bootstrap admin, service accounts): sync must leave them alone' },
  changed: { default: 1_000, help: 'users whose profile changes before the second run' },
  gone: { default: 500, help: 'users turned inactive in the directory before the second run' },
  'page-size': { default: 100, help: 'SCIM page size asked for (SCAIWAVE_IDENTITY_SYNC_PAGE_SIZE; the reference IdP caps pages at 50)' },
} as const;
const opt = wholeNumberOptions('bench/identity-sync.ts', OPTIONS);
if (opt.changed + opt.gone > opt.users) {
  console.error('--changed plus --gone must not exceed --users');
  process.exit(2);
}

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const seconds = (msValue: number): string => `${fmt(msValue / 1000, 2)} s`;
const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `scaiwave-bench-identity-${runId}-`));
const logDir = path.join(workDir, 'logs');
const base = loadConfig(process.env);
const config: Config = loadConfig({
  ...process.env,
  SCAIWAVE_DB_URL: `mysql://${encodeURIComponent(base.db.user)}:${encodeURIComponent(base.db.password)}@${base.db.host}:${base.db.port}/scaiwave_bench_idsync_${runId}`,
});
const procs: ManagedProcess[] = [];
let db: Db | undefined;

interface DirUser {
  id: string;
  displayName: string;
  email: string;
  active: boolean;
  groups: string[];
}

const directoryUser = (i: number): DirUser => ({
  id: `bench-user-${String(i).padStart(6, '0')}`,
  displayName: `Bench User ${i}`,
  email: `user${i}@bench.example`,
  active: true,
  groups: i % 50 === 0 ? ['admin'] : ['member'],
});

async function putUsers(idpUrl: string, slug: string, users: DirUser[]): Promise<void> {
  const res = await fetch(`${idpUrl}/admin/tenants/${slug}/users`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ users }),
  });
  if (!res.ok) throw new Error(`IdP bulk upload: ${res.status} ${await res.text()}`);
}

interface Timed {
  counts: RunCounts;
  totalMs: number;
  usersReadMs: number;
  groupsReadMs: number;
  applyMs: number;
}

/** One sync run as the workflow makes it: its row, syncTenant, the row's outcome. */
async function timedSync(database: Db, idpUrl: string, tenant: { id: string; slug: string }): Promise<Timed> {
  const syncRunId = crypto.randomUUID();
  await beginRun(database, { runId: syncRunId, tenantId: tenant.id, workflowId: `bench-${runId}`, trigger: 'cli' });
  const t0 = performance.now();
  let usersDone = 0;
  let readDone = 0;
  let lastProgress = 0;
  const result = await syncTenant(database, {
    runId: syncRunId,
    tenantId: tenant.id,
    tenantSlug: tenant.slug,
    scim: { baseUrl: idpUrl, clientId: 'scaiwave', clientSecret: 'scaiwave-dev-secret', pageSize: opt['page-size'] },
    minPresentPercent: 50,
    heartbeat: (d) => {
      const now = performance.now();
      if (d.what === 'Users' && d.received === d.total) usersDone = now;
      if (d.what === 'Groups' && d.received === d.total) readDone = now;
      if (now - lastProgress >= 1000) {
        lastProgress = now;
        say(`    … ${seconds(now - t0)}: ${d.what === undefined ? `applied ${String(d.applied)}` : `read ${String(d.received)}/${String(d.total)} ${String(d.what)}`}`);
      }
    },
  });
  const totalMs = performance.now() - t0;
  const counts = await finishRun(database, syncRunId, result);
  return { counts, totalMs, usersReadMs: usersDone - t0, groupsReadMs: readDone - usersDone, applyMs: t0 + totalMs - readDone };
}

/** The same number of rows as the first run adds, as raw multi-row INSERTs into a copy of `users`, autocommit. */
async function insertBaseline(tenantId: string): Promise<number> {
  const conn = await mariadb.createConnection({
    host: config.db.host,
    port: config.db.port,
    user: config.db.user,
    password: config.db.password,
    database: config.db.database,
  });
  try {
    await conn.query('CREATE TABLE bench_users LIKE users');
    const perStatement = 1000;
    const t0 = performance.now();
    for (let i = 0; i < opt.users; i += perStatement) {
      const rows = Array.from({ length: Math.min(perStatement, opt.users - i) }, (_, j) => directoryUser(i + j));
      await conn.query(
        `INSERT INTO bench_users (id, tenant_id, scaikey_subject, email, display_name, roles, source, updated_at) VALUES ${rows.map(() => "(?, ?, ?, ?, ?, ?, 'scaikey', NOW(3))").join(', ')}`,
        rows.flatMap((u) => [crypto.randomUUID(), tenantId, u.id, u.email, u.displayName, JSON.stringify(u.groups)]),
      );
    }
    return performance.now() - t0;
  } finally {
    await conn.end();
  }
}

async function teardown(): Promise<void> {
  await db?.$disconnect();
  for (const p of procs.reverse()) await p.stop(10_000);
  const conn = await mariadb.createConnection({ host: base.db.host, port: base.db.port, user: base.db.user, password: base.db.password });
  await conn.query(`DROP DATABASE IF EXISTS \`${config.db.database}\``).finally(() => conn.end());
  fs.rmSync(workDir, { recursive: true, force: true });
}

process.once('SIGINT', () => void teardown().finally(() => process.exit(130)));

try {
  say(
    `identity-sync benchmark ${runId}: ${opt.users} directory users, ${opt.local} local users, SCIM page size ${opt['page-size']}, ` +
      `load average ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores`,
  );
  procs.push(...(await ensureSystemServices(config, path.join(workDir, 'services'), logDir)));
  await applyMigrations(config.db);
  db = createDb(config.db);
  const idp = await startIdpProcess({ port: await freePort(), logDir });
  procs.push(idp.process);

  // As `npm start` leaves a tenant: a local admin with an API key, plus local service accounts.
  const p = await provisionTenant(db, { slug: `bench-${runId}`, name: `Benchmark ${runId}`, tier: 'enterprise', subject: 'dev-admin', roles: ['admin'] });
  for (let i = 1; i < opt.local; i++) await createUser(db, { tenantId: p.tenant.id, subject: `svc-${i}`, roles: ['member'] });
  const tenant = { id: p.tenant.id, slug: p.tenant.slug };
  const all = Array.from({ length: opt.users }, (_, i) => directoryUser(i));
  await putUsers(idp.url, tenant.slug, all);

  say(`  run 1: ${opt.users} new directory users …`);
  const first = await timedSync(db, idp.url, tenant);
  say(`  run 2: ${opt.changed} profiles changed, ${opt.gone} users inactive …`);
  await putUsers(idp.url, tenant.slug, [
    ...all.slice(0, opt.changed).map((u) => ({ ...u, displayName: `${u.displayName} (renamed)` })),
    ...all.slice(opt.changed, opt.changed + opt.gone).map((u) => ({ ...u, active: false })),
  ]);
  const second = await timedSync(db, idp.url, tenant);
  say('  run 3: nothing changed …');
  const third = await timedSync(db, idp.url, tenant);
  say(`  baseline: ${opt.users} rows as raw multi-row INSERTs …`);
  const baselineMs = await insertBaseline(tenant.id);

  const localsActive = await db.user.count({ where: { tenantId: tenant.id, source: 'local', status: 'active' } });
  const expected = [
    [first.counts.added, opt.users, 'run 1 added'],
    [second.counts.updated, opt.changed, 'run 2 updated'],
    [second.counts.deactivated, opt.gone, 'run 2 deactivated'],
    [third.counts.added + third.counts.updated + third.counts.deactivated, 0, 'run 3 changes'],
    [localsActive, opt.local, 'local users still active'],
  ] as const;
  const wrong = expected.filter(([got, want]) => got !== want);

  const row = (name: string, t: Timed, c: string, baseline: string): string[] => [
    name,
    seconds(t.totalMs),
    `${seconds(t.usersReadMs)} / ${seconds(t.groupsReadMs)} / ${seconds(t.applyMs)}`,
    c,
    baseline,
  ];
  say('');
  say(
    table([
      ['run', 'total', 'read Users / Groups / apply', 'changes', 'baseline (same run)'],
      row('1: first sync', first, `added ${first.counts.added}`, `raw INSERT of ${opt.users} rows: ${seconds(baselineMs)}`),
      row('2: changes', second, `updated ${second.counts.updated}, deactivated ${second.counts.deactivated}`, ''),
      row('3: nothing changed', third, 'none', ''),
    ]),
  );
  say(`\nlocal users active after the runs: ${localsActive} of ${opt.local}; load average at end ${os.loadavg()[0]!.toFixed(2)}`);
  for (const [got, want, what] of wrong) say(`MISMATCH: ${what} ${got}, expected ${want}`);
  await teardown();
  process.exit(wrong.length === 0 ? 0 : 1);
} catch (err) {
  console.error(`bench/identity-sync: ${(err as Error).stack ?? String(err)}`);
  await teardown().catch(() => undefined);
  process.exit(1);
}
