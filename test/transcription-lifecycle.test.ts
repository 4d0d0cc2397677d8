import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readUsage } from '../domains/accounting/usage.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { setPolicy } from '../domains/scaiecho/policy.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import { jobEvents } from './support/events.js';
import { captureHistory } from './support/histories.js';
import { startWorkerProcess, type WorkerProcess } from './support/processes.js';
import { startScaiEchoStack, transcribe, waitForJob, type ScaiEchoStack } from './support/scaiecho.js';
import { speak } from './support/speech.js';
import { newTenant, testDb } from './support/stack.js';

const FOX = 'the quick brown fox jumped over the lazy dog';
const heard = (t: string | null | undefined): string[] => ['quick', 'brown', 'fox', 'lazy', 'dog'].filter((w) => t?.includes(w));

describe('one transcription lifecycle: failover and crashes in its own steps', () => {
  const db = testDb();
  let s: ScaiEchoStack;
  /** The worker serving the stack's queue now: the crash cases replace it. */
  let worker: WorkerProcess;
  const fox = speak(FOX, 'slt');

  beforeAll(async () => {
    s = await startScaiEchoStack();
    worker = s.worker;
  });
  afterAll(async () => {
    await s?.stop();
    await db.$disconnect();
  });

  /** What a job left behind for its tenant: rows, usage and lifecycle events. */
  const traces = async (u: Provisioned) => ({
    rows: await db.transcriptionJob.count({ where: { tenantId: u.tenant.id } }),
    usage: await readUsage(s.api.deps.redis, { tenantId: u.tenant.id, userId: u.user.id, kind: 'transcription', at: new Date() }),
    events: (await jobEvents(u.tenant.id)).map((e) => e.data.status),
  });

  it('backend A failing: an AB job moves on to B under the same job id, an A-only job fails with a plain reason', async () => {
    const ab = await newTenant(db, { tier: 'pro' });
    const pinned = await newTenant(db, { tier: 'pro' });
    await setPolicy(db, ab.tenant.id, { allowedBackends: 'AB', defaultBackend: 'A' });
    await setPolicy(db, pinned.tenant.id, { allowedBackends: 'A', defaultBackend: 'A' });
    const node = s.nodes[0]!;
    await node.fault('fail');
    try {
      const both = await transcribe(s.api.url, ab.apiKey.key, fox, { force_async: 'true' });
      const onlyA = await transcribe(s.api.url, pinned.apiKey.key, fox, { force_async: 'true' });
      expect([both.status, onlyA.status]).toEqual([202, 202]);

      const moved = await waitForJob(s.api.url, ab.apiKey.key, both.body.data!.job_id);
      expect(moved).toMatchObject({ job_id: both.body.data!.job_id, status: 'completed', backend_used: 'B' });
      expect(heard(moved.transcript).length).toBeGreaterThanOrEqual(4);
      expect(await traces(ab)).toEqual({
        rows: 1,
        usage: { requests: 1, tokens: 0, audioMs: moved.audio_duration_ms },
        events: ['running', 'completed'],
      });
      const handle = s.api.deps.temporal.workflow.getHandle(workflowIds.transcribe(moved.job_id));
      expect(await handle.query('progress')).toMatchObject({ phase: 'completed', backend: 'B' });
      expect(JSON.stringify(await handle.fetchHistory())).not.toMatch(/lazy|brown/);
      await captureHistory('transcriptionJobWorkflow--failed-over', handle);

      // A-only: every retry A is allowed, then the job ends; the node's own words stay in the worker's log.
      const failed = await waitForJob(s.api.url, pinned.apiKey.key, onlyA.body.data!.job_id, undefined, 300_000);
      expect(failed).toMatchObject({ status: 'failed', backend_used: null, transcript: null });
      expect(failed.status_reason).toBe('BACKEND_UNAVAILABLE: the backend is unavailable');
      expect(await traces(pinned)).toEqual({ rows: 1, usage: { requests: 0, tokens: 0, audioMs: 0 }, events: ['running', 'failed'] });
    } finally {
      await node.fault('ok');
    }
  }, 420_000);

  const steps = ['beginTranscriptionJob', 'settleTranscriptionJob'] as const;
  const cases = steps.flatMap((step) => (['before', 'after'] as const).map((when) => ({ step, when })));

  it.each(cases)('a worker killed in local step $step, $when its work: the job finishes exactly once', async ({ step, when }) => {
    const u = await newTenant(db, { tier: 'pro' });
    await worker.proc.stop(5000);
    const crasher = await startWorkerProcess({ ...s.env, CRASH_AT: `${step}:${when}` }, 'test/support/crash-worker.ts');
    const res = await transcribe(s.api.url, u.apiKey.key, fox, { force_async: 'true' });
    expect(res.status).toBe(202);
    // The crash worker's activity interceptor sees local activities too: it dies in the step.
    expect(await crasher.proc.exited).toBe(128);

    worker = await s.startWorker();
    const handle = s.api.deps.temporal.workflow.getHandle(workflowIds.transcribe(res.body.data!.job_id));
    expect(await handle.result()).toEqual({ status: 'completed' });
    const done = await waitForJob(s.api.url, u.apiKey.key, res.body.data!.job_id);
    expect(done).toMatchObject({ status: 'completed', backend_used: 'A' });
    expect(heard(done.transcript).length).toBeGreaterThanOrEqual(4);
    expect(await traces(u)).toEqual({
      rows: 1,
      usage: { requests: 1, tokens: 0, audioMs: done.audio_duration_ms },
      events: ['running', 'completed'],
    });
  }, 240_000);
});
