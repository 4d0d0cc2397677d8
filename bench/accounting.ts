import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import mariadb from 'mariadb';
import { ensureSystemServices } from '../devstack/system-services.js';
import type { ManagedProcess } from '../devstack/process.js';
import { recordUsage, USAGE_KINDS, type UsageEvent } from '../domains/accounting/usage.js';
import { loadConfig, type Config } from '../lib/config.js';
import { createDb, type Db } from '../lib/infra/db.js';
import { Prisma } from '../lib/generated/prisma/client.js';
import { applyMigrations } from '../lib/infra/migrate.js';
import { closeRedis, createRedis, type Redis } from '../lib/infra/redis.js';
import { flushOnce, type FlushSample } from './lib/flush-once.js';
import type { FlusherInput } from './lib/flusher-thread.js';
import { fmt, ms, summarize, table } from './lib/stats.js';
import { wholeNumberOptions } from './lib/options.js';

// Usage accounting under load: events accepted per second while flushes run,
// flush lag and rows written per second, beside the raw Redis and MariaDB
// operations measured in the same run with the same concurrency.
//
// The flusher calls the same claim/apply/clear functions the flush workflow's
// activities call, every --flush-ms, in a thread of its own (a worker process
// in production): the figures are about the accounting code and the stores,
// not Temporal's scheduling (a few ms per activity, a flush every 30 s by default).
//
//   node --import tsx bench/accounting.ts [--seconds 15] [--writers 32] ...   (--help lists all)
//
// Needs MariaDB and Redis (started as children when installed but stopped).
// Uses its own database and Redis prefix and removes both at the end.

const OPTIONS = {
  seconds: { default: 15, help: 'length of each load phase' },
  writers: { default: 32, help: 'concurrent writers recording events (and issuing baseline ops)' },
  connections: { default: 4, help: 'Redis connections the writers share (like API pods and workers)' },
  tenants: { default: 20, help: 'tenants the events are spread over' },
  users: { default: 50, help: 'users per tenant' },
  'flush-ms': { default: 1000, help: 'pause between the end of one flush and the start of the next' },
  'baseline-rows': { default: 100_000, help: 'rows upserted by the MariaDB baseline' },
} as const;
const opt = wholeNumberOptions('bench/accounting.ts', OPTIONS);

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `scaiwave-bench-accounting-${runId}-`));
const base = loadConfig(process.env);
const config: Config = loadConfig({
  ...process.env,
  SCAIWAVE_DB_URL: `mysql://${encodeURIComponent(base.db.user)}:${encodeURIComponent(base.db.password)}@${base.db.host}:${base.db.port}/scaiwave_bench_acct_${runId}`,
  SCAIWAVE_REDIS_PREFIX: `scaiwave-bench-${runId}:`,
  SCAIWAVE_DB_POOL_SIZE: '8',
});
const services: ManagedProcess[] = [];
let db: Db | undefined;
const redisClients: Redis[] = [];

const tenants = Array.from({ length: opt.tenants }, () => randomUUID());
const users = tenants.map(() => Array.from({ length: opt.users }, () => randomUUID()));

function randomEvent(n: number): UsageEvent {
  const t = n % opt.tenants;
  const kind = USAGE_KINDS[n % USAGE_KINDS.length]!;
  return {
    eventId: `bench.${runId}.${n}`,
    tenantId: tenants[t]!,
    userId: users[t]![Math.floor(n / opt.tenants) % opt.users]!,
    kind,
    at: new Date(),
    tokens: kind === 'transcription' ? 0 : 50 + (n % 500),
    audioMs: kind === 'transcription' ? 1000 + (n % 60_000) : 0,
  };
}

/** `writers` closed loops for `seconds`; returns operations per second. */
async function closedLoop(op: (writer: number, n: number) => Promise<unknown>): Promise<{ ops: number; perSecond: number }> {
  const end = Date.now() + opt.seconds * 1000;
  let ops = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: opt.writers }, async (_, w) => {
      while (Date.now() < end) await op(w, ops++);
    }),
  );
  return { ops, perSecond: ops / ((performance.now() - t0) / 1000) };
}

let eventSeq = 0;
const accepted = { events: 0, requests: 0, tokens: 0, audioMs: 0 };
async function record(writer: number): Promise<void> {
  const e = randomEvent(eventSeq++);
  if (await recordUsage(redisClients[writer % redisClients.length]!, e)) {
    accepted.events++;
    accepted.requests += 1;
    accepted.tokens += e.tokens!;
    accepted.audioMs += e.audioMs!;
  }
}

async function mariadbBaseline(database: Db): Promise<number> {
  await database.$executeRawUnsafe('CREATE TABLE bench_usage_daily LIKE usage_daily');
  const perStatement = 500;
  const t0 = performance.now();
  let written = 0;
  // The same key spread as the load (tenants × users × kinds), the same statement shape, autocommit.
  for (let i = 0; written < opt['baseline-rows']; i++) {
    const values = Array.from({ length: perStatement }, (_, j) => {
      const e = randomEvent(i * perStatement + j);
      return Prisma.sql`(${e.tenantId}, ${new Date().toISOString().slice(0, 10)}, ${e.userId}, ${e.kind}, 1, ${e.tokens}, ${e.audioMs}, NOW(3))`;
    });
    await database.$executeRaw`
      INSERT INTO bench_usage_daily (tenant_id, day, user_id, kind, requests, tokens, audio_ms, updated_at)
      VALUES ${Prisma.join(values)}
      ON DUPLICATE KEY UPDATE requests = requests + VALUES(requests), tokens = tokens + VALUES(tokens),
        audio_ms = audio_ms + VALUES(audio_ms), updated_at = VALUES(updated_at)`;
    written += perStatement;
  }
  return written / ((performance.now() - t0) / 1000);
}

const flusherEntry = new URL('./lib/flusher-thread.ts', import.meta.url).href;
const tsxApi = import.meta.resolve('tsx/esm/api');

/** Worker threads do not inherit `--import tsx`: the thread registers the loader itself first. */
function startFlusher(): { stop(): Promise<FlushSample[]> } {
  const input: FlusherInput = {
    env: { SCAIWAVE_DB_URL: config.env.SCAIWAVE_DB_URL, SCAIWAVE_REDIS_PREFIX: config.env.SCAIWAVE_REDIS_PREFIX, SCAIWAVE_DB_POOL_SIZE: '2' },
    flushMs: opt['flush-ms'],
  };
  const thread = new Worker(
    `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(flusherEntry)}); });`,
    { eval: true, workerData: input },
  );
  const answered = new Promise<FlushSample[]>((resolve, reject) => {
    thread.once('message', resolve);
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`flusher thread exited with ${code} before answering`)));
  });
  return {
    stop() {
      thread.postMessage('stop');
      return answered;
    },
  };
}

async function teardown(): Promise<void> {
  // SCAN patterns and its answers are full key names: a client without the prefix deletes them.
  const raw = createRedis({ ...config, env: { ...config.env, SCAIWAVE_REDIS_PREFIX: '' } });
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', `${config.env.SCAIWAVE_REDIS_PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await raw.del(...keys);
  } while (cursor !== '0');
  await closeRedis(raw);
  await Promise.all(redisClients.map((r) => closeRedis(r)));
  await db?.$disconnect();
  const conn = await mariadb.createConnection({ host: base.db.host, port: base.db.port, user: base.db.user, password: base.db.password });
  await conn.query(`DROP DATABASE IF EXISTS \`${config.db.database}\``).finally(() => conn.end());
  for (const p of services.reverse()) await p.stop(10_000);
  fs.rmSync(workDir, { recursive: true, force: true });
}

process.once('SIGINT', () => void teardown().finally(() => process.exit(130)));

try {
  say(`accounting benchmark ${runId}: ${opt.writers} writers on ${opt.connections} Redis connections, ${opt.tenants} tenants × ${opt.users} users × ${USAGE_KINDS.length} kinds, ${opt.seconds} s per phase, load average ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores`);
  services.push(...(await ensureSystemServices(config, path.join(workDir, 'services'), path.join(workDir, 'logs'))));
  await applyMigrations(config.db);
  db = createDb(config.db);
  for (let i = 0; i < opt.connections; i++) redisClients.push(createRedis(config));

  say('  baseline: raw Redis HINCRBY …');
  const rawRedis = await closedLoop((w, n) => redisClients[w % redisClients.length]!.hincrby('bench:raw', `f${n % 3000}`, 1));

  say('  usage events, no flush running …');
  const quiet = await closedLoop((w) => record(w));
  // What the quiet phase left goes to MariaDB before the measured phase starts.
  while ((await flushOnce(db, redisClients[0]!)).counters > 0);

  say(`  usage events with a flush every ${opt['flush-ms']} ms …`);
  const flusher = startFlusher();
  const busy = await closedLoop((w) => record(w));
  // The flusher drains before it answers: everything accepted must then be in MariaDB, once.
  const samples = await flusher.stop();

  say('  baseline: raw MariaDB multi-row upserts …');
  const rawRows = await mariadbBaseline(db);

  const [sums] = await db.$queryRaw<{ requests: bigint; tokens: bigint; audio_ms: bigint }[]>`
    SELECT COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(tokens), 0) AS tokens, COALESCE(SUM(audio_ms), 0) AS audio_ms FROM usage_daily`;
  const exact =
    Number(sums!.requests) === accepted.requests && Number(sums!.tokens) === accepted.tokens && Number(sums!.audio_ms) === accepted.audioMs;

  const withRows = samples.filter((s) => s.counters > 0);
  const lag = summarize(withRows.flatMap((s) => (s.lagMs === null ? [] : [s.lagMs])));
  const duration = summarize(withRows.map((s) => s.durationMs));
  const rows = withRows.reduce((a, s) => a + s.counters, 0);
  const applySeconds = withRows.reduce((a, s) => a + s.applyMs, 0) / 1000;

  say('');
  say(
    table([
      ['figure', 'value', 'baseline (same run)'],
      ['usage events accepted/s, flushes running', fmt(busy.perSecond, 0), `raw HINCRBY: ${fmt(rawRedis.perSecond, 0)}/s`],
      ['usage events accepted/s, no flush', fmt(quiet.perSecond, 0), ''],
      ['flushes with rows / rows per flush (mean)', `${withRows.length} / ${fmt(rows / Math.max(1, withRows.length), 0)}`, ''],
      ['flush lag p50 / p99 / max (oldest event → committed)', `${ms(lag.p50)} / ${ms(lag.p99)} / ${ms(lag.max)}`, `pause between flushes: ${opt['flush-ms']} ms`],
      ['flush duration p50 / p99 (claim → clear)', `${ms(duration.p50)} / ${ms(duration.p99)}`, ''],
      ['usage_daily rows/s written by apply (ledger + upserts, 1 tx)', fmt(rows / Math.max(applySeconds, 1e-9), 0), `raw upsert, autocommit: ${fmt(rawRows, 0)}/s`],
      ['events accepted / in usage_daily', `${accepted.events} / ${Number(sums!.requests)}`, exact ? 'exact' : 'MISMATCH'],
    ]),
  );
  say(`\nload average at end ${os.loadavg()[0]!.toFixed(2)}; flush lag is the wait of a batch's oldest event, so it includes the pause between flushes.`);
  await teardown();
  process.exit(exact ? 0 : 1);
} catch (err) {
  console.error(`bench/accounting: ${(err as Error).stack ?? String(err)}`);
  await teardown().catch(() => undefined);
  process.exit(1);
}
