import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../devstack/ports.js';
import { processStats } from '../devstack/proc-stat.js';
import type { ManagedProcess } from '../devstack/process.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { setPolicy } from '../domains/scaiecho/policy.js';
import { startScaiEchoStack, transcribe, transcribeUntilHangUp, waitForJob, type ScaiEchoStack } from './support/scaiecho.js';
import type { WorkerProcess } from './support/processes.js';
import { repeatTo, speak } from './support/speech.js';
import { call, newTenant, testDb } from './support/stack.js';

// Cancelling a job, or hanging up on an inline request, must stop the decoding
// on the backend: real pocketsphinx, real Temporal, and the engine's processes
// looked up both in the server's /stats and in the operating system.

interface EngineStats {
  engine_processes_running: number;
  engine_processes_killed: number;
  in_flight: number;
}

const PHRASE = 'the quick brown fox jumped over the lazy dog and ran into the forest to look for food';
// The kernel keeps a command's first 15 characters.
const ENGINE_COMMANDS = new Set(['sox', 'pocketsphinx_co']);

/** sox and pocketsphinx processes in a reference server's process group (it leads its own group). */
function engineProcessesOf(server: ManagedProcess): string[] {
  return processStats()
    .filter((p) => p.pgrp === server.child.pid && ENGINE_COMMANDS.has(p.comm))
    .map((p) => p.comm);
}

describe('cancellation reaches the engine', () => {
  const db = testDb();
  let s: ScaiEchoStack;
  /** The worker in service: the worker-kill tests replace it. */
  let worker: WorkerProcess;
  // Long enough that pocketsphinx is still decoding whenever the cancellation arrives.
  const speech = speak(PHRASE);
  const fiveMinutes = repeatTo(speech, 300);
  // Under the async threshold (5 MiB of 16 kHz 16-bit mono), so it is answered inline.
  const twoAndAHalfMinutes = repeatTo(speech, 150);

  const backends = (): Record<'A' | 'B', { adminUrl: string; process: ManagedProcess }> => ({
    A: { adminUrl: s.nodes[0]!.adminUrl, process: s.nodes[0]!.process },
    B: s.relay,
  });
  const stats = async (backend: 'A' | 'B'): Promise<EngineStats> =>
    (await (await fetch(`${backends()[backend].adminUrl}/stats`)).json()) as EngineStats;

  async function onlyOn(backend: 'A' | 'B'): Promise<Provisioned> {
    const t = await newTenant(db, { tier: 'pro' });
    await setPolicy(db, t.tenant.id, { allowedBackends: backend, defaultBackend: backend });
    return t;
  }

  const decoding = (backend: 'A' | 'B'): Promise<void> =>
    waitUntil(`pocketsphinx decoding on backend ${backend}`, async () => engineProcessesOf(backends()[backend].process).includes('pocketsphinx_co'), 120_000);

  /** The engine was killed for the cancelled call, and nothing of it is left running. */
  async function engineStopped(backend: 'A' | 'B', before: EngineStats): Promise<void> {
    // The engine's exit is counted before the request that ran it unwinds, so
    // wait for both: the kill, and the backend free again.
    await waitUntil(`backend ${backend} killed its engine and finished the call`, async () => {
      const now = await stats(backend);
      return now.engine_processes_killed > before.engine_processes_killed && now.in_flight === 0;
    });
    const after = await stats(backend);
    expect(after.engine_processes_killed).toBe(before.engine_processes_killed + 1);
    expect(after).toMatchObject({ engine_processes_running: 0, in_flight: 0 });
    expect(engineProcessesOf(backends()[backend].process)).toEqual([]);
  }

  beforeAll(async () => {
    s = await startScaiEchoStack({ engine: 'pocketsphinx' });
    worker = s.worker;
  });
  afterAll(async () => {
    await s?.stop();
    await db.$disconnect();
  });

  for (const backend of ['A', 'B'] as const) {
    it(`an async job cancelled while backend ${backend} decodes: the job ends cancelled and the engine process is killed`, async () => {
      const t = await onlyOn(backend);
      const before = await stats(backend);
      const res = await transcribe(s.api.url, t.apiKey.key, fiveMinutes, { force_async: 'true' });
      expect(res.status).toBe(202);
      const id = res.body.data!.job_id;
      await decoding(backend);

      const cancel = await call<{ status: string }>(s.api.url, 'POST', `/v1/modules/scaiecho/jobs/${id}/cancel`, { token: t.apiKey.key });
      expect(cancel.status).toBe(200);
      expect(cancel.body.data?.status).toBe('cancelled');
      await engineStopped(backend, before);
      const job = await waitForJob(s.api.url, t.apiKey.key, id);
      expect(job).toMatchObject({ status: 'cancelled', transcript: null });
    }, 300_000);
  }

  it('a client hanging up on an inline request while the node decodes: the engine process is killed', async () => {
    const t = await onlyOn('A');
    const before = await stats('A');
    const client = transcribeUntilHangUp(s.api.url, t.apiKey.key, fs.readFileSync(twoAndAHalfMinutes));
    await decoding('A');
    client.hangUp();
    expect(await client.answer).toMatchObject({ name: 'AbortError' });
    await engineStopped('A', before);
    expect(await db.transcriptionJob.count({ where: { tenantId: t.tenant.id } })).toBe(0);
  }, 300_000);

  // Last: these kill the worker in service and start another.
  for (const backend of ['A', 'B'] as const) {
    it(`a worker killed while backend ${backend} decodes: the backend kills the engine rather than decode for nobody`, async () => {
      const t = await onlyOn(backend);
      const before = await stats(backend);
      const res = await transcribe(s.api.url, t.apiKey.key, fiveMinutes, { force_async: 'true' });
      const id = res.body.data!.job_id;
      await decoding(backend);
      process.kill(-worker.proc.child.pid!, 'SIGKILL');
      await worker.proc.exited;
      await engineStopped(backend, before);

      // The job itself is still there to cancel, with a worker to run it.
      worker = await s.startWorker();
      const cancel = await call<{ status: string }>(s.api.url, 'POST', `/v1/modules/scaiecho/jobs/${id}/cancel`, { token: t.apiKey.key });
      expect(cancel.status).toBe(200);
      expect((await waitForJob(s.api.url, t.apiKey.key, id)).status).toBe('cancelled');
      await waitUntil(`nothing decoding on backend ${backend}`, async () => (await stats(backend)).engine_processes_running === 0);
      expect(engineProcessesOf(backends()[backend].process)).toEqual([]);
    }, 300_000);
  }
});
