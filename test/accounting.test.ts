import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { applyBatch, batchKey, BatchNotApplied, claimBatch, clearBatch, PENDING_KEY } from '../domains/accounting/flush.js';
import { LIVE_KEY, monthTotals, recordUsage, USAGE_KINDS, type Amounts, type UsageEvent } from '../domains/accounting/usage.js';
import { closeRedis, createRedis, type Redis } from '../lib/infra/redis.js';
import { createTemporalClient } from '../lib/temporal/client.js';
import { writeWorkflowBundle } from '../worker/bundle.js';
import { accountingFlushWorkflow, type FlushSummary } from '../domains/accounting/workflows.js';
import { captureHistory } from './support/histories.js';
import { startWorkerProcess, type WorkerProcess } from './support/processes.js';
import { call, newTenant, testConfig, testDb, uniq } from './support/stack.js';

// Exactly once, proven against the real stores: every event recorded is in
// usage_daily once and only once, whatever the flush went through on the way.
// Each test sums its own tenants, so events other suites record meanwhile (and
// which these flushes move too) do not disturb the figures.

const config = testConfig();
const db = testDb();
const { client, close: closeTemporal } = createTemporalClient(config);
const queue = uniq('accounting');
let redis: Redis;
let bundleDir: string;
let workerEnv: Record<string, string>;
let worker: WorkerProcess;

const zero = (): Amounts => ({ requests: 0, tokens: 0, audio_ms: 0 });

/** Events for fresh tenants/users, each kind, random sizes; `expected` is what usage_daily must end up holding. */
function makeEvents(n: number, opts: { tenants?: string[]; users?: number; at?: () => Date } = {}) {
  const tenants = opts.tenants ?? [randomUUID(), randomUUID()];
  const users = Array.from({ length: opts.users ?? 5 }, () => randomUUID());
  const events: UsageEvent[] = [];
  const expected = new Map<string, Amounts>();
  for (let i = 0; i < n; i++) {
    const e: UsageEvent = {
      eventId: `test.${randomUUID()}`,
      tenantId: tenants[i % tenants.length]!,
      userId: users[i % users.length]!,
      kind: USAGE_KINDS[i % USAGE_KINDS.length]!,
      at: opts.at?.() ?? new Date(),
      requests: 1,
      tokens: i % 3 === 1 ? 1 + (i % 97) : 0,
      audioMs: i % 3 === 0 ? 250 + i : 0,
    };
    events.push(e);
    const key = `${e.tenantId}|${e.userId}|${e.kind}`;
    const a = expected.get(key) ?? zero();
    a.requests += 1;
    a.tokens += e.tokens!;
    a.audio_ms += e.audioMs!;
    expected.set(key, a);
  }
  return { tenants, events, expected };
}

/** usage_daily of these tenants, summed over days, keyed like makeEvents' `expected`. */
async function stored(tenants: string[]): Promise<Map<string, Amounts>> {
  const rows = await db.usageDaily.groupBy({
    by: ['tenantId', 'userId', 'kind'],
    where: { tenantId: { in: tenants } },
    _sum: { requests: true, tokens: true, audioMs: true },
  });
  return new Map(
    rows.map((r) => [
      `${r.tenantId}|${r.userId}|${r.kind}`,
      { requests: Number(r._sum.requests), tokens: Number(r._sum.tokens), audio_ms: Number(r._sum.audioMs) },
    ]),
  );
}

const sorted = (m: Map<string, Amounts>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));

function startFlush(taskQueue = queue) {
  return client.workflow.start(accountingFlushWorkflow, {
    taskQueue,
    workflowId: uniq('grid-accounting-flush-test'),
    workflowExecutionTimeout: '5 minutes',
  });
}

const flush = async (taskQueue = queue): Promise<FlushSummary> => (await startFlush(taskQueue)).result();

/** Records events from several connections at once, the way many API pods and workers would. */
async function recordAll(events: UsageEvent[], clients: Redis[]): Promise<boolean[]> {
  return Promise.all(events.map((e, i) => recordUsage(clients[i % clients.length]!, e)));
}

beforeAll(async () => {
  redis = createRedis(config);
  // One bundle for every worker this file starts: each start is then seconds, not a webpack run.
  bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-accounting-'));
  const bundle = path.join(bundleDir, 'workflows.js');
  await writeWorkflowBundle(bundle);
  workerEnv = { SCAIWAVE_TEMPORAL_TASK_QUEUE: queue, SCAIWAVE_WORKFLOW_BUNDLE: bundle };
  worker = await startWorkerProcess(workerEnv);
});

afterAll(async () => {
  await worker?.proc.stop(5000);
  await closeRedis(redis);
  await closeTemporal();
  await db.$disconnect();
  fs.rmSync(bundleDir, { recursive: true, force: true });
});

describe('usage accounting, Redis → MariaDB', () => {
  it('counts each event once under concurrent increments while flushes run, and flushes exactly what was counted', async () => {
    const { tenants, events, expected } = makeEvents(3000);
    // A fifth of the events arrive twice (a retried request or activity).
    const retried = events.filter((_, i) => i % 5 === 0);
    const clients = Array.from({ length: 8 }, () => createRedis(config));
    try {
      const flushes: Promise<FlushSummary>[] = [];
      const recording = recordAll([...events, ...retried], clients);
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 40));
        flushes.push(flush());
      }
      const accepted = await recording;
      // Original and retry race on different connections: exactly one of the two counts.
      const wins = new Map<string, number>();
      [...events, ...retried].forEach((e, i) => wins.set(e.eventId, (wins.get(e.eventId) ?? 0) + (accepted[i] ? 1 : 0)));
      expect([...wins.values()].every((n) => n === 1)).toBe(true);
      expect(wins.size).toBe(events.length);

      const now = new Date();
      for (const t of tenants) {
        const want = zero();
        for (const [k, a] of expected) if (k.startsWith(t)) for (const m of ['requests', 'tokens', 'audio_ms'] as const) want[m] += a[m];
        expect((await monthTotals(redis, t, now)).tenant).toEqual(want);
      }

      const summaries = [...(await Promise.all(flushes)), await flush()];
      expect(summaries.flatMap((s) => s.stuck)).toEqual([]);
      expect(sorted(await stored(tenants))).toEqual(sorted(expected));
    } finally {
      await Promise.all(clients.map((c) => closeRedis(c)));
    }
  }, 120_000);

  it('two flushes racing each other, with events still arriving, add every event exactly once', async () => {
    const first = makeEvents(1000);
    const second = makeEvents(1000, { tenants: first.tenants });
    await recordAll(first.events, [redis]);
    const handles = await Promise.all([startFlush(), startFlush(), startFlush()]);
    await recordAll(second.events, [redis]);
    const racing = await Promise.all(handles.map((h) => h.result()));
    await flush();

    expect(racing.flatMap((s) => s.stuck)).toEqual([]);
    // Racers meet each other's pending batches: each one either applies a batch or finds it applied.
    for (const s of racing) expect(s.applied + s.skipped).toBe(s.batches);
    const want = new Map(first.expected);
    for (const [k, a] of second.expected) {
      const b = want.get(k) ?? zero();
      want.set(k, { requests: a.requests + b.requests, tokens: a.tokens + b.tokens, audio_ms: a.audio_ms + b.audio_ms });
    }
    expect(sorted(await stored(first.tenants))).toEqual(sorted(want));
    await captureHistory('accountingFlushWorkflow--completed', handles[0]!);
  }, 120_000);

  it('each step repeated, concurrently or later, changes nothing the first run did not', async () => {
    // Driven step by step through the library, as activities retried after a lost completion would.
    const a = makeEvents(300);
    await recordAll(a.events, [redis]);
    const id = `test-${randomUUID()}`;
    expect(await claimBatch(redis, id)).toContain(id);

    // A second claim of the same id takes nothing new, even with new events waiting.
    const b = makeEvents(200, { tenants: a.tenants });
    await recordAll(b.events, [redis]);
    const fields = await redis.hlen(batchKey(id));
    expect(await claimBatch(redis, id)).toContain(id);
    expect(await redis.hlen(batchKey(id))).toBe(fields);

    // Clearing before the ledger has the batch is refused: its counters would be lost.
    await expect(clearBatch(db, redis, id)).rejects.toBeInstanceOf(BatchNotApplied);

    const [x, y] = await Promise.all([applyBatch(db, redis, id), applyBatch(db, redis, id)]);
    expect([x.status, y.status].sort()).toEqual(['applied', 'duplicate']);
    expect((await applyBatch(db, redis, id)).status).toBe('duplicate');
    await clearBatch(db, redis, id);
    await clearBatch(db, redis, id);
    expect(await redis.exists(batchKey(id))).toBe(0);
    expect(await redis.zscore(PENDING_KEY, id)).toBeNull();
    expect((await applyBatch(db, redis, id)).status).toBe('gone');
    // The id is spent: claiming with it again, after it was cleared, takes nothing.
    expect(await claimBatch(redis, id)).not.toContain(id);
    expect(await redis.hexists(LIVE_KEY, '_since')).toBe(1);

    await flush();
    const want = new Map(a.expected);
    for (const [k, v] of b.expected) {
      const w = want.get(k) ?? zero();
      want.set(k, { requests: v.requests + w.requests, tokens: v.tokens + w.tokens, audio_ms: v.audio_ms + w.audio_ms });
    }
    expect(sorted(await stored(a.tenants))).toEqual(sorted(want));
  }, 60_000);

  describe('a worker process killed at each step of a flush', () => {
    const steps = ['claimUsageBatch', 'applyUsageBatch', 'clearUsageBatch'] as const;
    const cases = steps.flatMap((step) => (['before', 'after'] as const).map((when) => ({ step, when })));

    it.each(cases)('$step, killed $when its work: a new worker finishes the flush, every event counted once', async ({ step, when }) => {
      const crashQueue = uniq('accounting-crash');
      const env = { ...workerEnv, SCAIWAVE_TEMPORAL_TASK_QUEUE: crashQueue };
      const { tenants, events, expected } = makeEvents(400);
      await recordAll(events, [redis]);

      const crasher = await startWorkerProcess({ ...env, CRASH_AT: `${step}:${when}` }, 'test/support/crash-worker.ts');
      const handle = await startFlush(crashQueue);
      expect(await crasher.proc.exited).toBe(128);

      const rescuer = await startWorkerProcess(env);
      try {
        const summary = await handle.result();
        expect(summary.stuck).toEqual([]);
      } finally {
        await rescuer.proc.stop(5000);
      }
      // The killed attempt is in the history: the step ran again on the new worker.
      const retried = (await handle.fetchHistory()).events!.some(
        (e) => e.activityTaskStartedEventAttributes && (e.activityTaskStartedEventAttributes.attempt ?? 1) > 1,
      );
      expect(retried).toBe(true);
      // This run's own batch did not stay behind.
      const batchId = (await handle.describe()).runId;
      expect(await redis.exists(batchKey(batchId))).toBe(0);
      expect(await redis.zscore(PENDING_KEY, batchId)).toBeNull();

      await flush();
      expect(sorted(await stored(tenants))).toEqual(sorted(expected));
      if (step === 'applyUsageBatch' && when === 'after') await captureHistory('accountingFlushWorkflow--worker-killed', handle);
    }, 120_000);
  });
});

describe('GET /v1/admin/usage', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi(config, { port: 0 });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('reports the tenant\'s flushed usage by day, user and kind; others see none of it', async () => {
    const a = await newTenant(db, { roles: ['admin'] });
    const b = await newTenant(db, { roles: ['admin'] });
    const member = await newTenant(db, { roles: ['member'] });
    const other = randomUUID();
    const at = (day: string) => new Date(`2026-10-${day}T12:00:00Z`);
    const ev = (day: string, userId: string, kind: UsageEvent['kind'], x: Partial<UsageEvent>): UsageEvent => ({
      eventId: `test.${randomUUID()}`,
      tenantId: a.tenant.id,
      userId,
      kind,
      at: at(day),
      ...x,
    });
    await recordAll(
      [
        ev('05', a.user.id, 'transcription', { audioMs: 3000 }),
        ev('05', a.user.id, 'transcription', { audioMs: 2000 }),
        ev('05', other, 'inference', { tokens: 120 }),
        ev('20', a.user.id, 'inference', { tokens: 80 }),
        { ...ev('20', a.user.id, 'transcription', { audioMs: 1000 }), at: new Date('2026-11-01T00:00:00Z') },
      ],
      [redis],
    );
    await flush();

    const get = (token: string, query: string) =>
      call<{ totals: Amounts; rows: Record<string, unknown>[]; flushed_at: string | null }>(api.url, 'GET', `/v1/admin/usage?${query}`, {
        token,
      });
    const byDayKind = await get(a.apiKey.key, 'period=2026-10&group_by=day,kind');
    expect(byDayKind.status).toBe(200);
    expect(byDayKind.body.data!.totals).toEqual({ requests: 4, tokens: 200, audio_ms: 5000 });
    expect(byDayKind.body.data!.rows).toEqual([
      { day: '2026-10-05', kind: 'inference', requests: 1, tokens: 120, audio_ms: 0 },
      { day: '2026-10-05', kind: 'transcription', requests: 2, tokens: 0, audio_ms: 5000 },
      { day: '2026-10-20', kind: 'inference', requests: 1, tokens: 80, audio_ms: 0 },
    ]);
    expect(Date.parse(byDayKind.body.data!.flushed_at!)).toBeGreaterThan(Date.now() - 60_000);

    const oneDay = await get(a.apiKey.key, 'from=2026-10-05&to=2026-10-05&kind=inference&group_by=user');
    expect(oneDay.body.data!.rows).toEqual([{ user_id: other, requests: 1, tokens: 120, audio_ms: 0 }]);
    const november = await get(a.apiKey.key, 'from=2026-11-01&to=2026-11-01');
    expect(november.body.data!.totals).toEqual({ requests: 1, tokens: 0, audio_ms: 1000 });

    expect((await get(b.apiKey.key, 'period=2026-10')).body.data!.totals).toEqual({ requests: 0, tokens: 0, audio_ms: 0 });
    expect((await get(member.apiKey.key, 'period=2026-10')).status).toBe(403);
    for (const bad of ['period=2026-13', 'from=2026-10-09&to=2026-10-01', 'group_by=tenant', 'period=2026-10&from=2026-10-01', 'from=2026-02-30']) {
      const res = await get(a.apiKey.key, bad);
      expect(res.status, bad).toBe(400);
      expect(res.body.error?.code).toBe('VALIDATION_ERROR');
    }
  }, 60_000);
});
