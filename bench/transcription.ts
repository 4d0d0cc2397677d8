import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import Koa from 'koa';
import Router from '@koa/router';
import { parseStat } from '../devstack/proc-stat.js';
import { Environment, type BenchEnv } from './lib/env.js';
import { fmt, ms, summarize, table, type Summary } from './lib/stats.js';
import { runDirect, runJobs, runPoll, stopClientThreads } from './lib/thread.js';
import type { JobSample, PhaseResult, PollResult } from './lib/client.js';
import { toneWav } from './lib/wav.js';

// ScaiEcho async transcription, measured against baselines taken in the same
// run: see bench/README.md. `node --import tsx bench/transcription.ts --help`.

const OPTIONS = {
  jobs: { env: 'BENCH_JOBS', default: 100, help: 'sequential async jobs (and direct calls) for the overhead figure' },
  warmup: { env: 'BENCH_WARMUP', default: 10, help: 'jobs and direct calls run first and not counted' },
  concurrency: { env: 'BENCH_CONCURRENCY', default: 8, help: 'concurrent submitters (and direct callers) at saturation' },
  'saturation-jobs': { env: 'BENCH_SATURATION_JOBS', default: 200, help: 'async jobs in the saturation run' },
  'direct-calls': { env: 'BENCH_DIRECT_CALLS', default: 1000, help: 'direct dispatcher calls in the saturation baseline' },
  'poll-seconds': { env: 'BENCH_POLL_SECONDS', default: 10, help: 'length of each poll-rate loop' },
  'poll-concurrency': { env: 'BENCH_POLL_CONCURRENCY', default: 16, help: 'keep-alive connections of the poll-rate loops' },
  'audio-ms': { env: 'BENCH_AUDIO_MS', default: 1000, help: 'length of the uploaded WAV (16 kHz mono 16-bit)' },
  'max-phase-seconds': { env: 'BENCH_MAX_PHASE_SECONDS', default: 90, help: 'time bound of each phase; a phase cut short says so' },
} as const;
type NumericOption = keyof typeof OPTIONS;

const { values: flags } = parseArgs({
  options: {
    ...Object.fromEntries(Object.keys(OPTIONS).map((k) => [k, { type: 'string' as const }])),
    observe: { type: 'string' },
    'log-level': { type: 'string' },
    'keep-logs': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});

if (flags.help) {
  const lines = Object.entries(OPTIONS).map(([k, o]) => `  --${k.padEnd(18)} ${o.env.padEnd(24)} ${o.help} (default ${o.default})`);
  console.log(
    [
      'usage: node --import tsx bench/transcription.ts [options]   (each option also reads the environment variable shown)',
      ...lines,
      `  --${'observe'.padEnd(18)} ${'BENCH_OBSERVE'.padEnd(24)} result: await the workflow result; poll: GET the job every 20 ms (default result)`,
      `  --${'log-level'.padEnd(18)} ${'BENCH_LOG_LEVEL'.padEnd(24)} API and worker log level (default warn)`,
      `  --${'keep-logs'.padEnd(18)} ${'BENCH_KEEP_LOGS=1'.padEnd(24)} keep the run's temp dir (logs) after a successful run; a failed run always keeps it`,
    ].join('\n'),
  );
  process.exit(0);
}

function numeric(name: NumericOption): number {
  const o = OPTIONS[name];
  const raw = (flags as Record<string, string | undefined>)[name] ?? process.env[o.env];
  if (raw === undefined || raw === '') return o.default;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} / ${o.env} must be a whole number of at least 1, not ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

const opt = Object.fromEntries(Object.keys(OPTIONS).map((k) => [k, numeric(k as NumericOption)])) as Record<NumericOption, number>;
const observe = (flags.observe ?? process.env.BENCH_OBSERVE ?? 'result') as 'result' | 'poll';
if (observe !== 'result' && observe !== 'poll') {
  console.error('--observe must be result or poll');
  process.exit(2);
}
const logLevel = flags['log-level'] ?? process.env.BENCH_LOG_LEVEL ?? 'warn';
const keepLogs = flags['keep-logs'] ?? ['1', 'true', 'yes'].includes(process.env.BENCH_KEEP_LOGS ?? '');

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const wav = toneWav(opt['audio-ms']);
const nodeCapacity = Math.max(64, opt.concurrency * 4);
const environment = new Environment({ logLevel, scaiecho: { nodeCapacity }, say });
let bare: http.Server | undefined;
let cleaning: Promise<void> | undefined;
let interrupted = false;

/** Once, whoever asks first: the end of main() or a signal. */
function cleanUp(keepWorkDir: boolean): Promise<void> {
  cleaning ??= (async () => {
    await stopClientThreads();
    if (bare) {
      bare.closeAllConnections();
      bare.close();
    }
    await environment.teardown({ keepWorkDir });
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    say(`\n${signal}: stopping everything this run started …`);
    void cleanUp(keepLogs)
      .catch((err: unknown) => console.error(`cleanup failed: ${String(err)}`))
      .finally(() => process.exit(130));
  });
}

/**
 * CPU time (user + system) of this process's main thread, from Linux's
 * /proc/self/task/<pid>/stat in clock ticks (100 per second); NaN elsewhere.
 */
function mainThreadCpuMs(): number {
  try {
    return parseStat(fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')).cpuSeconds * 1000;
  } catch {
    return Number.NaN;
  }
}

/** The tiny Koa app of the poll baseline: one route, the same JSON the API answers, nothing else. */
async function startBareKoa(body: unknown): Promise<string> {
  const app = new Koa();
  const router = new Router();
  const template = body as { success: boolean; data: Record<string, unknown> };
  router.get('/v1/modules/scaiecho/jobs/:id', (ctx) => {
    ctx.body = { ...template, data: { ...template.data, job_id: ctx.params.id } };
  });
  app.use(router.routes());
  const server = http.createServer(app.callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  bare = server;
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** ESTABLISHED TCP connections to a local port, from /proc (Linux); undefined elsewhere. */
function connectionsTo(port: number): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, , remote, state] = line.trim().split(/\s+/);
      if (state === '01' && remote?.endsWith(`:${hexPort}`)) count++;
    }
  }
  return count;
}

/** engine_ms of every job the STT node served, from its "transcribed" log lines. */
function engineTimes(logFile: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"transcribed"')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; job_id?: string; engine_ms?: number };
      if (entry.msg === 'transcribed' && entry.job_id && typeof entry.engine_ms === 'number') out.set(entry.job_id, entry.engine_ms);
    } catch {
      // a partial line at the end of the file
    }
  }
  return out;
}

function problems(name: string, r: { errors: Record<string, number>; cutShort?: boolean }): string[] {
  const out = Object.entries(r.errors).map(([msg, n]) => `${name}: ${n} × ${msg}`);
  if (r.cutShort) out.push(`${name}: cut short by the ${opt['max-phase-seconds']} s phase bound`);
  return out;
}

const rate = (count: number, wallMs: number): number => (count / wallMs) * 1000;

const loadAtStart = os.loadavg();

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  say('ScaiEcho async transcription benchmark');
  say(`machine     ${os.availableParallelism()} cores (${cpu}), ${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, ${os.platform()} ${os.release()}`);
  say(`runtime     Node ${process.version}, load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  say(
    `parameters  jobs=${opt.jobs} warmup=${opt.warmup} concurrency=${opt.concurrency} saturation-jobs=${opt['saturation-jobs']} ` +
      `direct-calls=${opt['direct-calls']} poll-seconds=${opt['poll-seconds']} poll-concurrency=${opt['poll-concurrency']} ` +
      `audio=${opt['audio-ms']} ms WAV (${wav.byteLength} bytes) observe=${observe} log-level=${logLevel} node-capacity=${nodeCapacity}`,
  );
  say('');
  say(`environment (run ${environment.runId}, ${environment.workDir})`);
  const env: BenchEnv = await environment.up();
  // The ScaiEcho slice was asked for: it is what this bench measures.
  const node = env.node!;
  const token = env.tenant.apiKey.key;
  const common = { wav, maxSeconds: opt['max-phase-seconds'] };
  const jobsCommon = {
    ...common,
    apiUrl: env.api.url,
    token,
    env: env.env,
    observe,
    pollIntervalMs: 20,
  };
  const direct = { ...common, address: node.grpcAddress };
  const notes: string[] = [];
  const phase = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const r = await fn();
    say(`  ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return r;
  };

  say('');
  say('measuring');
  await phase(`warm-up: ${opt.warmup} direct calls and ${opt.warmup} async jobs`, async () => {
    const d = await runDirect({ ...direct, calls: opt.warmup, concurrency: 1, freshChannel: false });
    const j = await runJobs({ ...jobsCommon, jobs: opt.warmup, concurrency: 1 });
    const failed = [...problems('warm-up direct', d), ...problems('warm-up jobs', j)];
    if (j.samples.length === 0) throw new Error(`no warm-up job completed:\n${failed.join('\n')}`);
    notes.push(...failed);
  });

  const dSeq = await phase(`1  direct dispatch, shared channel: ${opt.jobs} sequential calls`, () =>
    runDirect({ ...direct, calls: opt.jobs, concurrency: 1, freshChannel: false }),
  );
  const dSeqFresh = await phase(`1  direct dispatch, new channel per call: ${opt.jobs} sequential calls`, () =>
    runDirect({ ...direct, calls: opt.jobs, concurrency: 1, freshChannel: true }),
  );
  const jSeq = await phase(`1  async jobs: ${opt.jobs} sequential, submit → completed`, () => runJobs({ ...jobsCommon, jobs: opt.jobs, concurrency: 1 }));
  const dSat = await phase(`2  direct dispatch: ${opt['direct-calls']} calls × ${opt.concurrency} callers`, () =>
    runDirect({ ...direct, calls: opt['direct-calls'], concurrency: opt.concurrency, freshChannel: false }),
  );
  const jSat = await phase(`2  async jobs: ${opt['saturation-jobs']} × ${opt.concurrency} submitters`, () =>
    runJobs({ ...jobsCommon, jobs: opt['saturation-jobs'], concurrency: opt.concurrency }),
  );
  notes.push(
    ...problems('direct sequential', dSeq),
    ...problems('direct sequential, new channel', dSeqFresh),
    ...problems('async sequential', jSeq),
    ...problems('direct saturation', dSat),
    ...problems('async saturation', jSat),
  );

  // The poll target: a finished job of the bench user, and the exact body the API answers for it.
  const target = jSeq.samples[0]?.jobId ?? jSat.samples[0]?.jobId;
  if (!target) throw new Error('no job completed, nothing to poll');
  const pollPath = `/v1/modules/scaiecho/jobs/${target}`;
  const sample = await fetch(`${env.api.url}${pollPath}`, { headers: { Authorization: `Bearer ${token}` } });
  if (!sample.ok) throw new Error(`GET ${pollPath} answered ${sample.status}`);
  const bareUrl = await startBareKoa(await sample.json());
  const jwt = await env.jwtFor(env.tenant.user.scaikeySubject, env.tenant.tenant.slug);
  const pollCommon = { seconds: opt['poll-seconds'], concurrency: opt['poll-concurrency'], maxRequests: 2_000_000 };
  // The API and the bare route both run on this thread, alone during a poll loop: its CPU time per
  // answer is the server's cost of one request, which other work on the machine sways far less than req/s.
  const cpuPerAnswer = new Map<PollResult, number>();
  const pollPhase = async (what: string, url: string, authorization?: string): Promise<PollResult> => {
    const before = mainThreadCpuMs();
    const result = await phase(what, () => runPoll({ ...pollCommon, url, ...(authorization && { authorization }) }));
    cpuPerAnswer.set(result, ((mainThreadCpuMs() - before) * 1000) / Math.max(1, result.statuses['200'] ?? 0));
    return result;
  };
  const loop = `${opt['poll-seconds']} s × ${opt['poll-concurrency']} connections`;
  const pKey = await pollPhase(`3  poll endpoint, API key: ${loop}`, `${env.api.url}${pollPath}`, `Bearer ${token}`);
  const pJwt = await pollPhase(`3  poll endpoint, ScaiKey JWT: ${loop}`, `${env.api.url}${pollPath}`, `Bearer ${jwt}`);
  const pBare = await pollPhase(`3  bare Koa route: ${loop}`, `${bareUrl}${pollPath}`);
  for (const [name, p] of [['poll API key', pKey], ['poll JWT', pJwt], ['bare Koa', pBare]] as const) {
    notes.push(...problems(name, p));
    const other = Object.entries(p.statuses).filter(([s]) => s !== '200');
    if (other.length > 0) notes.push(`${name}: non-200 answers ${other.map(([s, n]) => `${n} × ${s}`).join(', ')} (first body ${p.firstBody.slice(0, 160)})`);
  }

  // The worker keeps one gRPC channel per node address; connections piling up would mean it no longer does.
  const openToNode = connectionsTo(Number(node.grpcAddress.split(':')[1]));
  if (openToNode !== undefined && openToNode > 4) {
    notes.push(`${openToNode} TCP connections to the STT node are still open after the async jobs: dispatch channels are piling up`);
  }

  // What the rows and the node say about the async jobs.
  await new Promise((r) => setTimeout(r, 300)); // lets the node's log stream flush
  const engine = engineTimes(node.logFile);
  const rows = await env.api.deps.db.transcriptionJob.findMany({
    where: { id: { in: [...jSeq.samples, ...jSat.samples].map((s) => s.jobId) } },
    select: { id: true, status: true, backendUsed: true, createdAt: true, startedAt: true, completedAt: true },
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  const check = (name: string, r: PhaseResult<JobSample>): void => {
    const bad = r.samples.filter((s) => s.status !== 'completed' || byId.get(s.jobId)?.status !== 'completed' || byId.get(s.jobId)?.backendUsed !== 'A');
    if (bad.length > 0) notes.push(`${name}: ${bad.length} job(s) not completed on backend A (first ${bad[0]!.jobId}: ${bad[0]!.status})`);
    const noEngine = r.samples.filter((s) => !engine.has(s.jobId)).length;
    if (noEngine > 0) notes.push(`${name}: ${noEngine} job(s) without an engine_ms line in the node log (counted as 0 ms)`);
  };
  check('async sequential', jSeq);
  check('async saturation', jSat);

  const ok = (r: PhaseResult<JobSample>): JobSample[] => r.samples.filter((s) => s.status === 'completed');
  const overhead = (r: PhaseResult<JobSample>): Summary => summarize(ok(r).map((s) => s.totalMs - (engine.get(s.jobId) ?? 0)));
  const directOverhead = (r: typeof dSeq): Summary => summarize(r.samples.map((s) => s.totalMs - s.engineMs));
  const seqOverhead = overhead(jSeq);
  const baseOverhead = directOverhead(dSeq);
  const freshOverhead = directOverhead(dSeqFresh);
  const engineSummary = summarize(ok(jSeq).map((s) => engine.get(s.jobId) ?? 0));

  // Where an async job's time goes, from the client's clock and the row's timestamps (same machine, ms precision).
  const parts = (r: PhaseResult<JobSample>) => {
    const acc = { submit: [] as number[], queued: [] as number[], running: [] as number[], finishing: [] as number[] };
    for (const s of ok(r)) {
      const row = byId.get(s.jobId);
      if (!row?.startedAt || !row.completedAt) continue;
      const accepted = s.submittedAt + s.submitMs;
      acc.submit.push(s.submitMs);
      acc.queued.push(row.startedAt.getTime() - accepted);
      acc.running.push(row.completedAt.getTime() - row.startedAt.getTime());
      acc.finishing.push(s.submittedAt + s.totalMs - row.completedAt.getTime());
    }
    return { submit: summarize(acc.submit), queued: summarize(acc.queued), running: summarize(acc.running), finishing: summarize(acc.finishing) };
  };
  const toRowCompleted = (r: PhaseResult<JobSample>): Summary =>
    summarize(ok(r).flatMap((s) => {
      const done = byId.get(s.jobId)?.completedAt;
      return done ? [done.getTime() - s.submittedAt] : [];
    }));
  const seqParts = parts(jSeq);
  const satParts = parts(jSat);

  const jobsRate = rate(ok(jSat).length, jSat.wallMs);
  const directRate = rate(dSat.samples.length, dSat.wallMs);
  const pollRate = (p: PollResult): number => rate(p.statuses['200'] ?? 0, p.wallMs);
  const observedBy = observe === 'result' ? 'awaiting the workflow result' : 'polling GET /jobs/{id} every 20 ms';
  const pair = (s: Summary): string => `${fmt(s.p50, s.p50 < 10 ? 2 : 1)} / ${ms(s.p99)}`;
  const diff = (a: Summary, b: Summary): string => `+${fmt(a.p50 - b.p50)} / +${ms(a.p99 - b.p99)}`;
  const breakdown = (p: ReturnType<typeof parts>): string =>
    [p.submit, p.queued, p.running, p.finishing].map((x) => fmt(x.p50, 0)).join(' + ') + ' ms';

  say('');
  say('results');
  say(
    table([
      ['figure', 'scaiwave', 'baseline (same run)', 'baseline is', 'scaiwave vs baseline'],
      [
        `1 orchestration overhead per async job, p50 / p99 (n=${seqOverhead.n})`,
        pair(seqOverhead),
        pair(baseOverhead),
        `direct dispatch, shared gRPC channel (n=${baseOverhead.n})`,
        diff(seqOverhead, baseOverhead),
      ],
      ['', '', pair(freshOverhead), `direct dispatch, new channel per call (n=${freshOverhead.n})`, diff(seqOverhead, freshOverhead)],
      [
        `2 jobs per second at saturation (${opt.concurrency} submitters, n=${ok(jSat).length})`,
        `${fmt(jobsRate)} jobs/s`,
        `${fmt(directRate)} calls/s`,
        `direct dispatch, ${opt.concurrency} callers (n=${dSat.samples.length})`,
        `${fmt(directRate / jobsRate)}× lower`,
      ],
      [
        `3 poll GET /v1/modules/scaiecho/jobs/{id}, API key`,
        `${fmt(pollRate(pKey), 0)} req/s`,
        `${fmt(pollRate(pBare), 0)} req/s`,
        `bare Koa route, same JSON (${opt['poll-concurrency']} keep-alive conns each)`,
        `${fmt(pollRate(pBare) / pollRate(pKey))}× lower`,
      ],
      [`  same, ScaiKey JWT`, `${fmt(pollRate(pJwt), 0)} req/s`, '', '', `${fmt(pollRate(pBare) / pollRate(pJwt))}× lower`],
    ]),
  );
  say('');
  say('details (p50 / p99 unless stated)');
  say(
    table([
      ['', ''],
      [`1 submit → completed, client-side, ${observedBy}`, pair(summarize(ok(jSeq).map((s) => s.totalMs)))],
      [`1 submit → row's completed_at (what an instant poller would see: no post-completion bookkeeping)`, pair(toRowCompleted(jSeq))],
      [`1 engine's own time (engine_ms from the node's log)`, pair(engineSummary)],
      [`1 where it goes, p50: upload→202 + 202→started_at + started_at→completed_at + completed_at→client`, breakdown(seqParts)],
      [`1 direct dispatch, whole call (shared channel)`, pair(summarize(dSeq.samples.map((s) => s.totalMs)))],
      [`2 submit → completed under saturation`, pair(summarize(ok(jSat).map((s) => s.totalMs)))],
      [`2 where it goes under saturation, p50 (as above)`, breakdown(satParts)],
      [`2 direct dispatch call under saturation`, pair(summarize(dSat.samples.map((s) => s.totalMs)))],
      [`3 poll latency, API key`, pair(summarize(pKey.latencies))],
      [`3 poll latency, ScaiKey JWT`, pair(summarize(pJwt.latencies))],
      [`3 bare Koa route latency`, pair(summarize(pBare.latencies))],
      [
        `3 server thread CPU per answer: API key / JWT / bare route (bare ÷ key, bare ÷ JWT)`,
        `${[pKey, pJwt, pBare].map((p) => fmt(cpuPerAnswer.get(p)!, 0)).join(' / ')} µs ` +
          `(${fmt(cpuPerAnswer.get(pBare)! / cpuPerAnswer.get(pKey)!, 2)}×, ${fmt(cpuPerAnswer.get(pBare)! / cpuPerAnswer.get(pJwt)!, 2)}×)`,
      ],
      [`  open TCP connections to the STT node after all jobs`, openToNode === undefined ? 'n/a' : String(openToNode)],
      [`  machine load average at the end (1 / 5 / 15 min)`, os.loadavg().map((l) => l.toFixed(2)).join(' / ')],
    ]).split('\n').slice(2).join('\n'),
  );
  const busiest = Math.max(loadAtStart[1]!, os.loadavg()[1]!);
  if (busiest > os.availableParallelism()) {
    notes.push(`the machine was busy with other work (5-min load average up to ${busiest.toFixed(1)} on ${os.availableParallelism()} cores): figures are noisy`);
  }
  if (notes.length > 0) {
    say('');
    say('notes');
    for (const n of notes) say(`  - ${n}`);
  }
  say('');
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  if (!interrupted) {
    console.error(`\nbenchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    console.error(`logs are kept in ${environment.logDir}`);
  }
}
if (!interrupted) {
  say('cleaning up …');
  await cleanUp(keepLogs || failed).catch((err: unknown) => console.error(`cleanup failed: ${String(err)}`));
  if (keepLogs && !failed) say(`logs are kept in ${environment.logDir}`);
  process.exit(failed ? 1 : 0);
}
