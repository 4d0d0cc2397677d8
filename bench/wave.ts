import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import { freePort, waitUntil } from '../devstack/ports.js';
import { machineStealSeconds, parseStat } from '../devstack/proc-stat.js';
import { startProcess, tail, type ManagedProcess } from '../devstack/process.js';
import { repoRoot } from '../devstack/tools.js';
import { createApiKey } from '../lib/auth/api-keys.js';
import { loadConfig } from '../lib/config.js';
import { createDb } from '../lib/infra/db.js';
import { applyMigrations } from '../lib/infra/migrate.js';
import { provisionTenant } from '../domains/identity/provisioning.js';
import { createUser } from '../lib/tenancy/users.js';
import { openLoop, SLOW_MS } from './lib/load.js';
import { wholeNumberOptions } from './lib/options.js';
import { fmt, ms, summarize, table } from './lib/stats.js';

// Seed 000's capacity rule for one API process on one core: 200 WebSockets
// connected and 300 req/s of mixed reads and posts for 60 s. The API runs
// pinned to CPU 0 (taskset); this process, the load, runs beside it. Beside
// each figure, a baseline on the same core in the same run: a bare Koa route
// under the same request rate, and a bare `ws` echo server delivering the same
// number of messages. Then the same at `--scale` times the rule. Beside the
// percentiles, how many seconds held a request over SLOW_MS (a p99 set by a few
// stalls of everything at once is not one set by a steady tail), the share of
// CPU the host took from this virtual machine meanwhile (steal), and the longest
// this process's own event loop was held up (its stalls are in every latency).
// `node --import tsx bench/wave.ts --help`; figures in bench/README.md.
// BENCH_WAVE_CPU_PROF=<dir> runs the API under `node --cpu-prof` and leaves its
// profile there (open it in Chrome's DevTools or speedscope).

const opt = wholeNumberOptions('bench/wave.ts', {
  sockets: { default: 200, help: 'WebSockets connected (the rule)' },
  rps: { default: 300, help: 'requests per second, mixed reads and posts (the rule)' },
  seconds: { default: 60, help: 'length of each load phase' },
  rooms: { default: 10, help: 'rooms the sockets are spread over (each user is in one)' },
  scale: { default: 5, help: 'the second phase runs this many times the rule' },
  pollers: { default: 20, help: 'clients following by long-poll sync instead of a WebSocket' },
  warmup: { default: 15, help: 'seconds of load at the rule first, not counted (JIT, pools, caches)' },
});
const say = (line: string): void => void process.stdout.write(`${line}\n`);

const runId = randomBytes(4).toString('hex');
const work = fs.mkdtempSync(path.join(os.tmpdir(), `scaiwave-bench-wave-${runId}-`));
const logDir = path.join(work, 'logs');
const base = loadConfig(process.env);
const env: Record<string, string> = {
  SCAIWAVE_DB_URL: `mysql://${base.db.user}:${base.db.password}@${base.db.host}:${base.db.port}/scaiwave_bench_wave_${runId}`,
  SCAIWAVE_REDIS_PREFIX: `scaiwave-bench-wave-${runId}:`,
  SCAIWAVE_NATS_PREFIX: `bw${runId}`,
  SCAIWAVE_LOG_LEVEL: 'warn',
  SCAIWAVE_ACCESS_LOG_LEVEL: 'warn',
  // A benchmark's clients exceed any tenant's everyday limits by design.
  SCAIWAVE_RATE_LIMIT_TENANT_PER_MINUTE: '100000000',
  SCAIWAVE_RATE_LIMIT_KEY_PER_MINUTE: '100000000',
};
const config = loadConfig({ ...process.env, ...env });
const db = createDb(config.db);
const procs: ManagedProcess[] = [];
const profileDir = process.env.BENCH_WAVE_CPU_PROF;

/** The machine's load average: another session's work on the same cores shows here. */
const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/** CPU seconds a process of ours has used so far (user + system, every thread). */
function cpuSeconds(proc: ManagedProcess): number {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`${proc.name} exited during the run:\n${tail(proc.logFile)}`);
  return parseStat(fs.readFileSync(`/proc/${proc.child.pid}/stat`, 'utf8')).cpuSeconds;
}

/** A process of ours pinned to CPU 0, the core "one API process" gets. */
async function onCore0(name: string, args: string[], port: number, extraEnv: Record<string, string> = {}, nodeFlags: string[] = []): Promise<{ url: string; proc: ManagedProcess }> {
  const proc = startProcess(name, 'taskset', ['-c', '0', process.execPath, ...nodeFlags, '--import', 'tsx', ...args], {
    logDir,
    cwd: repoRoot,
    env: { ...process.env, ...env, ...extraEnv },
  });
  procs.push(proc);
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitUntil(name, async () => (await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) })).status > 0, 120_000),
    proc.exited.then((code) => {
      throw new Error(`${name} exited with ${code}:\n${tail(proc.logFile)}`);
    }),
  ]);
  return { url, proc };
}

interface World {
  keys: string[];
  /** the room of each key's user */
  roomOf: string[];
}

/** A tenant with one user per socket, each in one of the rooms, so a post reaches sockets/rooms of them. */
async function seed(api: string, users: number): Promise<World> {
  const t = await provisionTenant(db, { slug: `bench-${runId}`, name: 'Bench', tier: 'enterprise', subject: 'owner', roles: ['admin'], keyName: 'bench' });
  const call = async <T>(key: string, method: string, p: string, json?: unknown): Promise<T> => {
    const res = await fetch(`${api}${p}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const body = (await res.json()) as { data: T };
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(body)}`);
    return body.data;
  };
  const ws = await call<{ id: string }>(t.apiKey.key, 'POST', '/v1/wave/workspaces', { slug: 'bench', name: 'Bench' });
  const rooms: string[] = [];
  for (let i = 0; i < opt.rooms; i++) {
    rooms.push((await call<{ id: string }>(t.apiKey.key, 'POST', `/v1/wave/workspaces/${ws.id}/rooms`, { kind: 'channel', name: `room-${i}` })).id);
  }
  const world: World = { keys: [], roomOf: [] };
  for (let i = 0; i < users; i++) {
    const user = await createUser(db, { tenantId: t.tenant.id, subject: `user-${i}`, roles: ['member'] });
    const key = (await createApiKey(db, { tenantId: t.tenant.id, userId: user.id, name: 'bench' })).key;
    const room = rooms[i % rooms.length]!;
    await call(key, 'POST', `/v1/wave/rooms/${room}/join`);
    world.keys.push(key);
    world.roomOf.push(room);
  }
  return world;
}

interface LoadResult {
  requests: number[];
  /** the scaiwave phase's requests by what they do: a post, a page of messages, the room */
  byKind: { post: number[]; page: number[]; room: number[] };
  errors: number;
  deliveries: number[];
  /** message → long-poll sync answer (the bare phase has none) */
  polled: number[];
  /** requests the schedule could not start on time (the load generator fell behind) */
  late: number;
  /** seconds of the schedule in which some request took longer than SLOW_MS */
  slowSeconds: number;
  /** CPU seconds the server process used during the phase */
  cpu: number;
  /** the share of the machine's CPU time the host took (steal) during the phase */
  steal: number;
  /** the longest this process's own event loop was held up during the phase, ms: the load generator's stalls show in every latency it measures */
  generatorDelayMs: number;
}

/** Runs a phase, counting the CPU the server process spends meanwhile, and the host's steal. */
async function counted(server: ManagedProcess, phase: () => Promise<Omit<LoadResult, 'cpu' | 'steal' | 'generatorDelayMs'>>): Promise<LoadResult> {
  const before = cpuSeconds(server);
  const machine = machineStealSeconds();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const result = await phase();
  delay.disable();
  const after = machineStealSeconds();
  return {
    ...result,
    cpu: cpuSeconds(server) - before,
    steal: (after.steal - machine.steal) / Math.max(after.total - machine.total, 1e-9),
    generatorDelayMs: delay.max / 1e6,
  };
}

async function scaiwavePhase(api: string, world: World, sockets: number, rps: number, seconds = opt.seconds): Promise<Omit<LoadResult, 'cpu' | 'steal' | 'generatorDelayMs'>> {
  const sentAt = new Map<string, number>();
  const deliveries: number[] = [];
  const open: WebSocket[] = [];
  for (let i = 0; i < sockets; i++) {
    const key = world.keys[i % world.keys.length]!;
    const ws = new WebSocket(`${api.replace('http', 'ws')}/v1/wave/ws`, { headers: { Authorization: `Bearer ${key}` } });
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; messages?: { body: string | null }[] };
      const now = performance.now();
      for (const m of frame.messages ?? []) {
        const sent = m.body ? sentAt.get(m.body) : undefined;
        if (sent !== undefined) deliveries.push(now - sent);
      }
    });
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
    open.push(ws);
  }
  const polled: number[] = [];
  let pollErrors = 0;
  let polling = true;
  const follow = async (key: string): Promise<void> => {
    const headers = { authorization: `Bearer ${key}` };
    let cursor = ((await (await fetch(`${api}/v1/wave/sync`, { headers })).json()) as { data: { cursor: string } }).data.cursor;
    while (polling) {
      const res = await fetch(`${api}/v1/wave/sync?since=${cursor}&wait_ms=5000`, { headers }).catch(() => undefined);
      if (!res?.ok) {
        // An overloaded API refuses or drops some: counted, and the follower asks again.
        pollErrors++;
        await res?.arrayBuffer();
        continue;
      }
      const batch = ((await res.json()) as { data: { cursor: string; messages: { body: string | null }[] } }).data;
      const now = performance.now();
      for (const m of batch.messages) {
        const sent = m.body ? sentAt.get(m.body) : undefined;
        if (sent !== undefined) polled.push(now - sent);
      }
      cursor = batch.cursor;
    }
  };
  const byKind: LoadResult['byKind'] = { post: [], page: [], room: [] };
  // Caught here: a follower failing early must not end the run before its processes are stopped.
  const followers = world.keys.slice(-opt.pollers).map((key) => follow(key).catch(() => void pollErrors++));
  const { latencies, errors, late, slowSeconds } = await openLoop(rps, seconds, async (i) => {
    const who = i % world.keys.length;
    const room = world.roomOf[who]!;
    const headers = { authorization: `Bearer ${world.keys[who]}`, 'content-type': 'application/json' };
    const kind = i % 20;
    const t0 = performance.now();
    let res: Response;
    if (kind < 5) {
      const body = `bench ${runId} ${i}`;
      sentAt.set(body, performance.now());
      res = await fetch(`${api}/v1/wave/rooms/${room}/messages`, { method: 'POST', headers, body: JSON.stringify({ body }) });
    } else if (kind < 17) {
      res = await fetch(`${api}/v1/wave/rooms/${room}/messages?limit=20`, { headers });
    } else {
      res = await fetch(`${api}/v1/wave/rooms/${room}`, { headers });
    }
    await res.arrayBuffer();
    (kind < 5 ? byKind.post : kind < 17 ? byKind.page : byKind.room).push(performance.now() - t0);
    return res.status < 400;
  });
  // Deliveries still on their way when the load stops are waited for, briefly.
  await new Promise((r) => setTimeout(r, 2000));
  polling = false;
  await Promise.all(followers);
  for (const ws of open) ws.terminate();
  return { requests: latencies, byKind, errors: errors + pollErrors, deliveries, polled, late, slowSeconds };
}

async function barePhase(koaUrl: string, wsUrl: string, sockets: number, rps: number, deliveriesPerPost: number): Promise<Omit<LoadResult, 'cpu' | 'steal' | 'generatorDelayMs'>> {
  const deliveries: number[] = [];
  const open: WebSocket[] = [];
  for (let i = 0; i < sockets; i++) {
    const ws = new WebSocket(wsUrl.replace('http', 'ws'));
    ws.on('message', (data) => deliveries.push(performance.now() - Number(String(data))));
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
    open.push(ws);
  }
  const { latencies, errors, late, slowSeconds } = await openLoop(rps, opt.seconds, async (i) => {
    // A quarter of the requests are posts: each reaches as many sockets as a post to a room would.
    if (i % 20 < 5) for (let k = 0; k < deliveriesPerPost; k++) open[(i + k) % open.length]!.send(String(performance.now()));
    const res = await fetch(`${koaUrl}/`);
    await res.arrayBuffer();
    return res.status < 400;
  });
  await new Promise((r) => setTimeout(r, 2000));
  for (const ws of open) ws.terminate();
  return { requests: latencies, byKind: { post: [], page: [], room: [] }, errors, deliveries, polled: [], late, slowSeconds };
}

function report(label: string, sockets: number, rps: number, wave: LoadResult, bare: LoadResult & { wsCpu: number }): void {
  const q = summarize(wave.requests);
  const d = summarize(wave.deliveries);
  const bq = summarize(bare.requests);
  const bd = summarize(bare.deliveries);
  const p = summarize(wave.polled);
  const perRequest = (cpu: number, r: LoadResult) => `${ms((cpu * 1000) / r.requests.length)}`;
  say(`\n${label}: ${sockets} WebSockets, ${rps} req/s for ${opt.seconds} s (a quarter posts, the rest reads); load average ${load()}`);
  say(
    table([
      ['figure', 'scaiwave API', 'baseline (same core, same run)'],
      ['request p50 / p99', `${ms(q.p50)} / ${ms(q.p99)}`, `${ms(bq.p50)} / ${ms(bq.p99)} (bare Koa route)`],
      ...(['post', 'page', 'room'] as const).map((k) => {
        const s = summarize(wave.byKind[k]);
        return [`  ${k === 'post' ? 'post a message' : k === 'page' ? 'a page of 20 messages' : 'the room'} p50 / p99`, `${ms(s.p50)} / ${ms(s.p99)}`, ''];
      }),
      ['message → WebSocket p50 / p99', `${ms(d.p50)} / ${ms(d.p99)}`, `${ms(bd.p50)} / ${ms(bd.p99)} (bare ws echo)`],
      ['message → long-poll sync p50 / p99', `${ms(p.p50)} / ${ms(p.p99)} (${fmt(p.n, 0)})`, '-'],
      ['deliveries', fmt(d.n, 0), fmt(bd.n, 0)],
      ['errors (4xx/5xx, refused; sync followers included)', fmt(wave.errors, 0), fmt(bare.errors, 0)],
      ['requests started late (load generator behind)', fmt(wave.late, 0), fmt(bare.late, 0)],
      [`seconds with a request over ${SLOW_MS} ms (stalls)`, `${wave.slowSeconds} of ${opt.seconds}`, `${bare.slowSeconds} of ${opt.seconds}`],
      ['CPU the host took from this machine (steal)', `${fmt(100 * wave.steal, 1)} %`, `${fmt(100 * bare.steal, 1)} %`],
      ["the load generator's longest event-loop delay", ms(wave.generatorDelayMs), ms(bare.generatorDelayMs)],
      [
        'server CPU per request (deliveries included)',
        `${perRequest(wave.cpu, wave)} (${fmt(wave.cpu)} s)`,
        `${perRequest(bare.cpu + bare.wsCpu, bare)} (Koa ${fmt(bare.cpu)} s + ws ${fmt(bare.wsCpu)} s)`,
      ],
    ]),
  );
  say(`held (request p99 and delivery p99 under 100 ms, no errors): ${q.p99 < 100 && d.p99 < 100 && wave.errors === 0 ? 'yes' : 'no'}`);
}

try {
  say(`==> world of its own: database, Redis prefix, NATS prefix (${runId})`);
  await applyMigrations(config.db);
  const [apiPort, koaPort, wsPort] = [await freePort(), await freePort(), await freePort()];
  say(`==> load average ${load()}`);
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : [];
  const { url: api, proc: apiProc } = await onCore0('api', [path.join(repoRoot, 'api/main.ts')], apiPort, { SCAIWAVE_HOST: '127.0.0.1', SCAIWAVE_PORT: String(apiPort) }, profile);
  const { url: koa, proc: koaProc } = await onCore0('bare-koa', [path.join(repoRoot, 'bench/lib/bare-server.ts'), 'koa', String(koaPort)], koaPort);
  const { url: echo, proc: echoProc } = await onCore0('bare-ws', [path.join(repoRoot, 'bench/lib/bare-server.ts'), 'ws', String(wsPort)], wsPort);
  const users = opt.sockets * opt.scale;
  say(`==> ${users} users over ${opt.rooms} rooms`);
  const world = await seed(api, users);
  say(`==> warm-up: ${opt.warmup} s at the rule, not counted`);
  await scaiwavePhase(api, world, opt.sockets, opt.rps, opt.warmup);
  for (const [label, k] of [
    ['the rule', 1],
    [`${opt.scale}x the rule`, opt.scale],
  ] as const) {
    const sockets = opt.sockets * k;
    const rps = opt.rps * k;
    say(`==> ${label}: scaiwave`);
    const wave = await counted(apiProc, () => scaiwavePhase(api, world, sockets, rps));
    say(`==> ${label}: baselines`);
    const wsBefore = cpuSeconds(echoProc);
    const bare = await counted(koaProc, () => barePhase(koa, echo, sockets, rps, Math.max(1, Math.round(sockets / opt.rooms))));
    report(label, sockets, rps, wave, { ...bare, wsCpu: cpuSeconds(echoProc) - wsBefore });
  }
} finally {
  for (const p of procs.reverse()) await p.stop(5000);
  await db.$executeRawUnsafe(`DROP DATABASE IF EXISTS \`${config.db.database}\``).catch(() => undefined);
  await db.$disconnect();
  fs.rmSync(work, { recursive: true, force: true });
}
