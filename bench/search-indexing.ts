import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ENGINE_KINDS } from '../devstack/scaigrid/embedder.js';
import { embeddingClientFromConfig, type EmbeddingClient } from '../lib/scaigrid/embeddings.js';
import { LanceSearchIndex } from '../lib/search-index/lance-index.js';
import type { SearchDocument } from '../lib/search-index/search-index.js';
import { INDEX_BATCH } from '../domains/search/workflows/index.js';
import { cpuSpent, readCpu } from './lib/cpu.js';
import { Environment, type BenchEnv } from './lib/env.js';
import { loadAverage, runBench } from './lib/run-bench.js';
import { lagStages, type Batch, type LagStages, type Stages } from './lib/index-lag-stages.js';
import { epochNow, IndexWatch } from './lib/index-watch.js';
import { lanes, openLoop } from './lib/load.js';
import { benchOptions } from './lib/options.js';
import { boundOf, readHistogram, since, type Buckets } from './lib/prom-histogram.js';
import { fmt, ms, percentile, table } from './lib/stats.js';
import { syntheticMessages } from './lib/synthetic-messages.js';
import { WavePoster, type Posted } from './lib/wave-poster.js';

// Search indexing end to end: messages posted through the API (a process of
// its own, as in production) → outbox → the API's relay → JetStream → the
// workers' search feed → signal to wave-search-index-{tenant} →
// syncSearchIndex (MariaDB read, embed through the reference ScaiGrid, upsert
// into the embedded LanceDB index) → searchable. --embedder minilm (default)
// runs all-MiniLM-L6-v2 in the reference ScaiGrid; --embedder instant its
// word-hash engine, so the figures are the pipeline's own, not the model's.
// Two figures, each beside a baseline from the same run:
//   1. index lag per message (201 → searchable) at a steady --rate for
//      --seconds; baseline: one embed call per second's worth of the same
//      texts, through the worker's client, from this process;
//   2. throughput at saturation: --burst messages posted as fast as the API
//      takes them, until all are searchable; baseline: the same texts embedded
//      and upserted from this process in batches of 64, the pipeline's ceiling.
// "Searchable" is watched in the index files themselves (bench/lib/index-watch.ts);
// where the time went is read afterwards from the outbox and the workflow's
// history (bench/lib/index-lag-stages.ts). Figures and findings: bench/README.md.
//
//   npm run bench:search-indexing -- [--embedder minilm|instant] [--rate 100] [--seconds 60] [--burst 2000]   (--help lists all)
//
// Needs what `npm test` needs and the model files of scripts/ensure-tools.sh.
// Issue 12's goal: lag p99 < 2 s at 100 messages/s.

const opt = benchOptions('bench/search-indexing.ts', {
  embedder: { default: 'minilm', choices: ENGINE_KINDS, help: "the reference ScaiGrid's engine: the real model, or the instant word-hash stand-in" },
  rate: { default: 100, help: 'messages per second in the steady phase' },
  seconds: { default: 60, help: 'length of the steady phase' },
  burst: { default: 2000, help: 'messages posted as fast as the API takes them in the saturation phase' },
  posters: { default: 16, help: 'concurrent posters in the saturation phase' },
  rooms: { default: 5, help: 'rooms the messages are spread over' },
  warmup: { default: 64, help: 'messages posted and indexed first, not counted' },
  'poll-ms': { default: 20, help: "how often the watcher asks for the index table's version" },
  'max-wait': { default: 300, help: 'seconds a phase waits for its messages to become searchable' },
  seed: { default: 12, help: 'seed of the synthetic messages' },
});

const LAG_METRIC = 'scaiwave_search_index_lag_seconds';
const GOAL_P99_MS = 2000;
/** Shared daemons the pipeline leans on (other sessions' work on them counts too). */
const DAEMONS = ['mariadbd', 'nats-server'];

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const load = loadAverage;
const pcts = (xs: number[], ps = [50, 95, 99]): string => ps.map((p) => ms(percentile(xs, p))).join(' / ');
const notes: string[] = [];
/** phase: why a post failed → how often */
const postFailures = new Map<string, number>();
// The API as its own process: in this one, the load generator and the watcher starved it (it accepted 37–72 of 100 posts/s).
const environment = new Environment({ logLevel: 'warn', search: { engine: opt.embedder }, apiProcess: true, roles: ['admin'], say });
const engineName = opt.embedder === 'instant' ? 'instant word-hash engine' : 'all-MiniLM-L6-v2';
const texts = [...syntheticMessages({ seed: opt.seed, messages: opt.warmup + opt.rate * opt.seconds + opt.burst, rooms: opt.rooms, authors: 1 })];
const steadyFirst = opt.warmup;
const burstFirst = steadyFirst + opt.rate * opt.seconds;

interface Ctx {
  env: BenchEnv;
  poster: WavePoster;
  watch: IndexWatch;
  /** the client the worker embeds with, configured the same */
  embedder: EmbeddingClient;
}

/** What a phase cost, besides its own figures. */
interface Spent {
  cpu: [string, number][];
  wallSeconds: number;
  /** the worker's lag histogram over the phase */
  lag: Buckets;
  /** texts ScaiGrid embedded in the phase */
  embedded: number;
}

/** Posts text i of the corpus and tells the watcher to look for it; a refused post is counted under `phaseName` and answers undefined. */
async function post(ctx: Ctx, i: number, phaseName: string): Promise<Posted | undefined> {
  const m = texts[i]!;
  try {
    const p = await ctx.poster.post(i, m.roomIndex, m.body);
    ctx.watch.expect(p.id, p.createdAt.getTime());
    return p;
  } catch (err) {
    const why = `${phaseName}: ${err instanceof Error ? err.message : String(err)}`;
    postFailures.set(why, (postFailures.get(why) ?? 0) + 1);
    return undefined;
  }
}

/** Runs a phase, then waits until every message it posted is searchable. */
async function phase<T extends { posted: Posted[] }>(ctx: Ctx, what: string, run: () => Promise<T>): Promise<T & Spent> {
  const embedded = async (): Promise<number> => ((await (await fetch(`${ctx.env.scaigrid!.adminUrl}/stats`)).json()) as { inputs_embedded: number }).inputs_embedded;
  const lag = (): Promise<Buckets> => readHistogram(`${ctx.env.workerUrl}/metrics`, LAG_METRIC);
  const cpu = () => readCpu(environment.processGroups(), DAEMONS);
  const before = { lag: await lag(), embedded: await embedded(), cpu: cpu(), at: epochNow() };
  const result = await run();
  if (!(await ctx.watch.until(result.posted.map((p) => p.id), opt['max-wait'] * 1000))) {
    const missing = result.posted.filter((p) => !ctx.watch.seenAt.has(p.id)).length;
    notes.push(`${what}: ${missing} of ${result.posted.length} messages not searchable after ${opt['max-wait']} s; the figures leave them out`);
    process.exitCode = 1;
  }
  return {
    ...result,
    cpu: cpuSpent(before.cpu, cpu()),
    wallSeconds: (epochNow() - before.at) / 1000,
    lag: since(before.lag, await lag()),
    embedded: (await embedded()) - before.embedded,
  };
}

/** Posts corpus texts from..from+count-1 with `posters` closed loops. */
async function postAll(ctx: Ctx, from: number, count: number, posters: number, phaseName: string): Promise<{ posted: Posted[] }> {
  const posted: Posted[] = [];
  await lanes(count, posters, Infinity, async (k) => {
    const p = await post(ctx, from + k, phaseName);
    if (p) posted.push(p);
  });
  return { posted };
}

const lagsOf = (watch: IndexWatch, posted: Posted[]): number[] =>
  posted.filter((p) => watch.seenAt.has(p.id)).map((p) => watch.seenAt.get(p.id)! - p.answeredAt);

/** 1: `rate` posts a second for `seconds`, on schedule whatever the API's pace (an open loop). */
async function steadyPhase(ctx: Ctx) {
  const posted: Posted[] = [];
  const start = epochNow();
  const loop = await openLoop(opt.rate, opt.seconds, async (k) => {
    const p = await post(ctx, steadyFirst + k, 'steady phase');
    if (p) posted.push(p);
    return p !== undefined;
  });
  if (loop.late > 0) notes.push(`steady phase: ${loop.late} posts started more than 50 ms late (the load generator fell behind)`);
  return { posted, postLatencies: loop.latencies, start, postingEnded: epochNow() };
}

/** 1's baseline: each second's texts in one embed call, paced once a second. Answers the call times and the vectors in corpus order. */
async function steadyBaseline(ctx: Ctx): Promise<{ callMs: number[]; vectors: number[][] }> {
  const vectors: number[][] = [];
  const callMs: number[] = [];
  const start = performance.now();
  for (let s = 0; s < opt.seconds; s++) {
    const wait = start + s * 1000 - performance.now();
    if (wait > 0) await sleep(wait);
    const t0 = performance.now();
    const second = texts.slice(steadyFirst + s * opt.rate, steadyFirst + (s + 1) * opt.rate);
    vectors.push(...(await ctx.embedder.embed(second.map((m) => m.body))));
    callMs.push(performance.now() - t0);
  }
  return { callMs, vectors };
}

/** 2: `burst` posts as fast as `posters` closed loops get them accepted. */
async function burstPhase(ctx: Ctx) {
  const start = epochNow();
  const { posted } = await postAll(ctx, burstFirst, opt.burst, opt.posters, 'saturation phase');
  return { posted, start, postingEnded: epochNow() };
}

/**
 * 2's baseline, the pipeline's ceiling: the burst's texts embedded and upserted
 * from this process, a batch at a time as the workflow does, into an index that
 * first gets the steady phase's messages (untimed) as the pipeline's had them.
 */
async function burstBaseline(ctx: Ctx, steady: Posted[], steadyVectors: number[][], burst: Posted[]): Promise<{ embedMs: number; upsertMs: number }> {
  const { env, poster, embedder } = ctx;
  const doc = (p: Posted, vector: number[]): SearchDocument => ({
    messageId: p.id,
    tenantId: env.tenant.tenant.id,
    workspaceId: poster.workspaceId,
    roomId: p.roomId,
    authorId: env.tenant.user.id,
    createdAt: p.createdAt,
    updatedAt: p.createdAt,
    body: p.body,
    vector: Float32Array.from(vector),
  });
  const index = await LanceSearchIndex.open({ dir: path.join(env.workDir, 'baseline-index'), dimension: env.config.env.SCAIWAVE_SEARCH_VECTOR_DIMENSION });
  try {
    const prefill = [...steady].sort((a, b) => a.answeredAt - b.answeredAt).map((p) => doc(p, steadyVectors[p.index - steadyFirst]!));
    for (let i = 0; i < prefill.length; i += INDEX_BATCH) await index.upsert(prefill.slice(i, i + INDEX_BATCH));
    let [embedMs, upsertMs] = [0, 0];
    for (let i = 0; i < burst.length; i += INDEX_BATCH) {
      const batch = burst.slice(i, i + INDEX_BATCH);
      const t0 = performance.now();
      const vectors = await embedder.embed(batch.map((p) => p.body));
      const t1 = performance.now();
      await index.upsert(batch.map((p, k) => doc(p, vectors[k]!)));
      embedMs += t1 - t0;
      upsertMs += performance.now() - t1;
    }
    return { embedMs, upsertMs };
  } finally {
    await index.close();
  }
}

/** Does GET /v1/wave/search agree with the watcher? A few messages it saw, looked up by their own text (semantic: the same vector). */
async function searchAgrees(ctx: Ctx, posted: Posted[]): Promise<{ found: number; asked: number }> {
  const sampled = [posted[0], posted[Math.floor(posted.length / 2)], posted.at(-1)].filter((p): p is Posted => p !== undefined);
  let found = 0;
  for (const p of sampled) if ((await ctx.poster.search(p.roomId, p.body, 'semantic')).includes(p.id)) found++;
  return { found, asked: sampled.length };
}

async function main(env: BenchEnv): Promise<void> {
  const poster = await WavePoster.create(env.api.url, env.tenant.apiKey.key, opt.rooms);
  const watch = await IndexWatch.open(env.env.SCAIWAVE_SEARCH_DIR!, env.tenant.tenant.id, opt['poll-ms']);
  const ctx: Ctx = { env, poster, watch, embedder: embeddingClientFromConfig(env.config.env)! };
  try {
    say(`\n==> warm-up: ${opt.warmup} messages posted and indexed, not counted (load ${load()})`);
    await phase(ctx, 'warm-up', () => postAll(ctx, 0, opt.warmup, 4, 'warm-up'));
    say(`==> 1. steady: ${opt.rate} messages/s for ${opt.seconds} s through the API (load ${load()})`);
    const steady = await phase(ctx, 'steady phase', () => steadyPhase(ctx));
    say(`==> 1. baseline: one embed call per second's ${opt.rate} texts, paced once a second (load ${load()})`);
    const embedCalls = await steadyBaseline(ctx);
    say(`==> 2. saturation: ${opt.burst} messages posted by ${opt.posters} posters as fast as the API takes them (load ${load()})`);
    const burst = await phase(ctx, 'saturation phase', () => burstPhase(ctx));
    say(`==> 2. baseline: the same ${opt.burst} texts embedded and upserted from this process, ${INDEX_BATCH} a batch (load ${load()})`);
    const ceiling = await burstBaseline(ctx, steady.posted, embedCalls.vectors, burst.posted);
    const stages = await lagStages(env.api.deps.db, env.api.deps.temporal, env.tenant.tenant.id);
    const agreement = await searchAgrees(ctx, steady.posted);

    const steadyLags = lagsOf(watch, steady.posted);
    const burstDone = Math.max(...burst.posted.map((p) => watch.seenAt.get(p.id) ?? -Infinity));
    const burstSeconds = (burstDone - burst.start) / 1000;
    const ceilingMs = ceiling.embedMs + ceiling.upsertMs;
    say(`\nsearch indexing end to end, ${engineName} in the reference ScaiGrid, ${os.cpus().length} cores`);
    say(
      table([
        ['figure', 'through the pipeline', 'baseline (same run)'],
        [
          `1. index lag at ${opt.rate} msg/s, ${opt.seconds} s: p50 / p95 / p99`,
          `${pcts(steadyLags)} (max ${ms(Math.max(...steadyLags))}, ${steadyLags.length} messages)`,
          `${pcts(embedCalls.callMs)}: one embed call of a second's ${opt.rate} texts ` +
            `(at p50 the model alone keeps up with ${fmt(opt.rate / (percentile(embedCalls.callMs, 50) / 1000), 0)} msg/s)`,
        ],
        [
          `2. throughput at saturation, ${opt.burst} messages`,
          `${fmt(opt.burst / burstSeconds, 1)} msg/s (first post → last searchable ${fmt(burstSeconds, 1)} s)`,
          `${fmt(opt.burst / (ceilingMs / 1000), 1)} msg/s: embed + upsert from this process, ${INDEX_BATCH} a batch (embed ${fmt((100 * ceiling.embedMs) / ceilingMs, 0)} % of it)`,
        ],
      ]),
    );
    say(steadiness(watch, steady.posted, steady.postingEnded));
    const p99 = percentile(steadyLags, 99);
    const verdict = opt.rate === 100 ? (p99 < GOAL_P99_MS ? 'met' : 'NOT met') : `not measured at 100 msg/s (this run: ${opt.rate})`;
    const steadyAccepted = steady.posted.length / ((steady.postingEnded - steady.start) / 1000);
    say(`posts accepted in the steady phase: ${fmt(steadyAccepted, 1)} /s of ${opt.rate} /s offered (${steady.posted.length} of ${opt.rate * opt.seconds})`);
    say(`goal (issue 12): lag p99 < 2 s at 100 msg/s — ${verdict} (p99 ${ms(p99)})`);

    say('\ndetails');
    say(
      table([
        ['', 'steady phase', 'saturation phase'],
        [
          'posting',
          `${fmt(steady.posted.length, 0)} of ${fmt(opt.rate * opt.seconds, 0)} accepted (${fmt(steadyAccepted, 1)} posts/s), answer p50 / p99 ${pcts(steady.postLatencies, [50, 99])}`,
          `${fmt(burst.posted.length, 0)} of ${fmt(opt.burst, 0)} accepted, ${fmt(burst.posted.length / ((burst.postingEnded - burst.start) / 1000), 1)} posts/s (${fmt((burst.postingEnded - burst.start) / 1000, 1)} s)`,
        ],
        ['inputs ScaiGrid embedded (each message once: = messages)', `${fmt(steady.embedded, 0)} for ${steady.posted.length}`, `${fmt(burst.embedded, 0)} for ${burst.posted.length}`],
        ...stageRows(steady.posted, burst.posted, stages, watch.seenAt),
      ]),
    );
    const within2s = (100 * steadyLags.filter((l) => l <= GOAL_P99_MS).length) / Math.max(1, steadyLags.length);
    say(
      `the worker's ${LAG_METRIC} over the steady phase (buckets only; counted from each message's event): ` +
        `p50 ≤ ${boundOf(steady.lag, 50)} s, p99 ≤ ${boundOf(steady.lag, 99)} s, ${fmt(share(steady.lag, 2), 1)} % within 2 s, ` +
        `${fmt(steady.lag.get(Infinity) ?? 0, 0)} observations (the watcher: ${fmt(within2s, 1)} % within 2 s of the 201)`,
    );
    for (const [what, spent] of [
      ['steady phase (posting start → last searchable)', steady],
      ['saturation phase', burst],
    ] as const) {
      const named = spent.cpu.map(([name, sec]) => `${name === 'self' ? 'bench (load + watcher)' : name === 'other' ? 'rest of the machine' : name} ${fmt(sec, 1)}`);
      say(`CPU seconds in the ${what}, ${fmt(spent.wallSeconds, 1)} s × ${os.cpus().length} cores: ${named.join(', ')}`);
    }
    say(`the index watcher read the table ${watch.reads} times on a new version (${ms(watch.readMs / Math.max(1, watch.reads))} a read), polling every ${opt['poll-ms']} ms`);
    say(`GET /v1/wave/search (semantic, the message's own text, its room) found ${agreement.found} of ${agreement.asked} sampled messages the watcher saw`);
    if (agreement.found < agreement.asked) notes.push('the search API did not find every sampled message the watcher saw as indexed');
    for (const [why, n] of postFailures) notes.push(`${n} posts failed, ${why} (the API's log says why)`);
    for (const n of notes) say(`note: ${n}`);
  } finally {
    await watch.close();
  }
}

/** A pipeline that keeps up holds its lag level over the phase; one that falls behind grows it with the phase's length. */
function steadiness(watch: IndexWatch, posted: Posted[], postingEnded: number): string {
  const byPost = [...posted].sort((a, b) => a.answeredAt - b.answeredAt);
  const fifth = Math.max(1, Math.floor(byPost.length / 5));
  const [early, late] = [percentile(lagsOf(watch, byPost.slice(0, fifth)), 50), percentile(lagsOf(watch, byPost.slice(-fifth)), 50)];
  const drain = Math.max(...posted.map((p) => watch.seenAt.get(p.id) ?? -Infinity)) - postingEnded;
  const fellBehind = late > 2 * early + 1000 ? ' — the pipeline fell behind: this lag grows with the length of the phase' : '';
  return `steady or not: lag p50 ${ms(early)} over the phase's first fifth, ${ms(late)} over its last; the last message was searchable ${fmt(drain / 1000, 1)} s after posting stopped${fellBehind}`;
}

/** Per pipeline stage, when a message got there, counted from its 201; then the batches that carried the phase. p50 / p99 each. */
function stageRows(steady: Posted[], burst: Posted[], { byMessage, batches }: LagStages, seenAt: Map<string, number>): string[][] {
  const offsets = (posted: Posted[], at: (p: Posted, s: Stages) => number | undefined): string => {
    const xs = posted.flatMap((p) => {
      const t = at(p, byMessage.get(p.id) ?? {});
      return t === undefined ? [] : [t - p.answeredAt];
    });
    return `${pcts(xs, [50, 99])}${xs.length < posted.length ? ` (${xs.length} of ${posted.length})` : ''}`;
  };
  const row = (label: string, at: (p: Posted, s: Stages) => number | undefined): string[] => [label, offsets(steady, at), offsets(burst, at)];
  // The workflow's own turn between two batches, counted only where the next batch's ids were already waiting.
  const turn = batches.map((b, i) => {
    const prev = batches[i - 1];
    const waiting = Math.min(...b.ids.map((id) => byMessage.get(id)?.signalled ?? Infinity));
    return prev && waiting <= prev.ended ? b.started - prev.ended : undefined;
  });
  const perBatch = (f: (b: Batch, i: number) => number | undefined, show: (xs: number[]) => string): string[] =>
    [steady, burst].map((posted) => {
      const ids = new Set(posted.map((p) => p.id));
      return show(batches.flatMap((b, i) => (b.ids.some((id) => ids.has(id)) ? (f(b, i) ?? []) : [])));
    });
  return [
    row('201 → published to JetStream (outbox relay), p50 / p99', (_, s) => s.published),
    row('201 → signalled to the index workflow (search feed)', (_, s) => s.signalled),
    row('201 → its batch started (syncSearchIndex)', (_, s) => s.batchStarted),
    row('201 → its batch ended', (_, s) => s.batchEnded),
    row('201 → seen in the index by the watcher', (p) => seenAt.get(p.id)),
    [
      'what the worker\'s lag metric counts: batch ended − the event time the signal carried',
      ...[steady, burst].map((posted) => pcts(posted.flatMap((p) => lagCounted(byMessage.get(p.id))), [50, 99])),
    ],
    ['batches: duration (read, embed, upsert) p50 / p99', ...perBatch((b) => b.ended - b.started, (xs) => pcts(xs, [50, 99]))],
    ['batches: messages in one p50 / p99', ...perBatch((b) => b.ids.length, (xs) => [50, 99].map((p) => fmt(percentile(xs, p), 0)).join(' / '))],
    ['batches: workflow turn, one ended → next started, work waiting', ...perBatch((_, i) => turn[i], (xs) => pcts(xs, [50, 99]))],
  ];
}

const lagCounted = (s: Stages | undefined): number[] => (s?.batchEnded !== undefined && s.countedFrom !== undefined ? [s.batchEnded - s.countedFrom] : []);

/** Share (%) of a histogram's observations at or below `le` seconds (a bucket bound). */
const share = (b: Buckets, le: number): number => (100 * (b.get(le) ?? 0)) / Math.max(1, b.get(Infinity) ?? 0);

await runBench(environment, say, `search indexing bench: ${opt.embedder} embedder, ${opt.rate} msg/s for ${opt.seconds} s, then ${opt.burst} at once; ${opt.rooms} rooms`, main);
