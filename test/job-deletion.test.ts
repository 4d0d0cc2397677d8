import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, NotFound } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../devstack/ports.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { jobDeletionActivities } from '../domains/scaiecho/job-deletion-activities.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import { captureHistory } from './support/histories.js';
import { startWorkerProcess } from './support/processes.js';
import { startScaiEchoStack, transcribe, waitForJob, type ScaiEchoStack } from './support/scaiecho.js';
import { repeatTo, speak } from './support/speech.js';
import { call, newTenant, testDb, type ApiAnswer } from './support/stack.js';

// DELETE /v1/modules/scaiecho/jobs/{id} as its owner uses it: the transcript
// and the audio gone, a receipt left, a running job cancelled first with its
// engine stopped, and the deletion done once whatever kills its worker.

interface Receipt {
  job_id: string;
  status: 'deleting' | 'deleted';
  was_running: boolean;
  audio_deleted: boolean;
  transcript_deleted: boolean;
  completed_at: string | null;
}

const db = testDb();
let s: ScaiEchoStack;
let t: Provisioned;

beforeAll(async () => {
  s = await startScaiEchoStack({ engine: 'pocketsphinx' });
  t = await newTenant(db, { tier: 'pro' });
}, 300_000);
afterAll(async () => {
  await s?.stop();
});

const remove = (id: string, token = t.apiKey.key): Promise<ApiAnswer<Receipt>> => call<Receipt>(s.api.url, 'DELETE', `/v1/modules/scaiecho/jobs/${id}`, { token });
const stored = async (key: string): Promise<boolean> =>
  s.api.deps.s3
    .send(new HeadObjectCommand({ Bucket: s.api.deps.config.env.SCAIWAVE_S3_BUCKET, Key: key }))
    .then(() => true)
    .catch((err: unknown) => {
      if (err instanceof NotFound) return false;
      throw err;
    });
/** Until the deletion is through: 202 answers while it is on its way. */
async function deleted(id: string): Promise<Receipt> {
  let receipt: Receipt | undefined;
  await waitUntil(`job ${id} deleted`, async () => {
    const res = await remove(id);
    expect([200, 202], JSON.stringify(res.body)).toContain(res.status);
    receipt = res.body.data;
    return res.status === 200;
  }, 300_000);
  return receipt!;
}

describe('job deletion', () => {
  it("a finished job: transcript and audio gone, a receipt; asked again, the same receipt; another user's job is 404", async () => {
    const res = await transcribe(s.api.url, t.apiKey.key, speak('green apples on the kitchen table'), { force_async: 'true' });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const id = res.body.data!.job_id;
    expect((await waitForJob(s.api.url, t.apiKey.key, id)).status).toBe('completed');
    const key = (await db.transcriptionJob.findUniqueOrThrow({ where: { id } })).audioObjectKey!;
    expect(await stored(key)).toBe(true);

    const stranger = await newTenant(db);
    expect((await remove(id, stranger.apiKey.key)).status).toBe(404);
    expect((await remove('01890000-0000-7000-8000-000000000000')).status).toBe(404);

    const receipt = await deleted(id);
    expect(receipt).toMatchObject({ job_id: id, status: 'deleted', was_running: false, audio_deleted: true, transcript_deleted: true });
    expect(await stored(key)).toBe(false);
    await captureHistory('deleteTranscriptionJobWorkflow--completed', s.api.deps.temporal.workflow.getHandle(workflowIds.deleteJob(id)));
    expect((await call(s.api.url, 'GET', `/v1/modules/scaiecho/jobs/${id}`, { token: t.apiKey.key })).status).toBe(404);
    expect(await db.transcriptionJob.count({ where: { id } })).toBe(0);
    const listed = await call<{ jobs: { job_id: string }[] }>(s.api.url, 'GET', '/v1/modules/scaiecho/jobs', { token: t.apiKey.key });
    expect(listed.body.data!.jobs.map((j) => j.job_id)).not.toContain(id);
    const again = await remove(id);
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(receipt);
    expect((await remove(id, stranger.apiKey.key)).status).toBe(404);
  }, 300_000);

  it('a running job is cancelled first: its engine stops, then it is deleted', async () => {
    const node = s.nodes[0]!;
    const before = await node.stats();
    const res = await transcribe(s.api.url, t.apiKey.key, repeatTo(speak('the quick brown fox jumps over the lazy dog'), 300), { force_async: 'true' });
    const id = res.body.data!.job_id;
    await waitUntil('the node decoding', async () => Number((await node.stats()).engine_processes_running) > 0, 120_000);
    const receipt = await deleted(id);
    expect(receipt).toMatchObject({ was_running: true, status: 'deleted', audio_deleted: true });
    await captureHistory('deleteTranscriptionJobWorkflow--cancelled-first', s.api.deps.temporal.workflow.getHandle(workflowIds.deleteJob(id)));
    await waitUntil('the engine killed for the cancelled job', async () => Number((await node.stats()).engine_processes_killed) > Number(before.engine_processes_killed));
    await waitUntil('nothing decoding', async () => Number((await node.stats()).engine_processes_running) === 0);
    expect(await db.transcriptionJob.count({ where: { id } })).toBe(0);
  }, 300_000);

  it('a worker SIGKILLed after every step in turn: the deletion finishes, once', async () => {
    const res = await transcribe(s.api.url, t.apiKey.key, speak('seven green apples on the table'), { force_async: 'true' });
    const id = res.body.data!.job_id;
    expect((await waitForJob(s.api.url, t.apiKey.key, id)).status).toBe('completed');
    const key = (await db.transcriptionJob.findUniqueOrThrow({ where: { id } })).audioObjectKey!;

    const steps = Object.keys(jobDeletionActivities({} as Parameters<typeof jobDeletionActivities>[0]));
    const onceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-deletion-kills-'));
    await s.worker.proc.stop(5000);
    // No worker: the request records the receipt, starts the workflow and answers that it is on its way.
    const asked = await remove(id);
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    expect(asked.body.data).toMatchObject({ status: 'deleting', transcript_deleted: false });
    let finished = false;
    const done = waitUntil('deletion completed', async () => (finished = !!(await db.jobDeletion.findUniqueOrThrow({ where: { jobId: id } })).completedAt), 600_000);
    while (!finished) {
      const crashing = await startWorkerProcess({ ...s.env, CRASH_AT: steps.map((step) => `${step}:after`).join(','), CRASH_ONCE_DIR: onceDir }, 'test/support/crash-worker.ts');
      if (!(await Promise.race([crashing.proc.exited.then(() => true), done.then(() => false)]))) await crashing.proc.stop(5000);
    }
    s.worker = await s.startWorker();
    expect(await s.api.deps.temporal.workflow.getHandle(workflowIds.deleteJob(id)).result()).toEqual({ status: 'completed' });
    expect(fs.readdirSync(onceDir).length).toBeGreaterThan(0);
    await captureHistory('deleteTranscriptionJobWorkflow--worker-killed', s.api.deps.temporal.workflow.getHandle(workflowIds.deleteJob(id)));
    fs.rmSync(onceDir, { recursive: true, force: true });

    expect(await db.jobDeletion.count({ where: { jobId: id } })).toBe(1);
    expect(await stored(key)).toBe(false);
    expect(await db.transcriptionJob.count({ where: { id } })).toBe(0);
    const runs = [];
    for await (const run of s.api.deps.temporal.workflow.list({ query: `WorkflowId = "${workflowIds.deleteJob(id)}"` })) runs.push(run.status.name);
    expect(runs).toEqual(['COMPLETED']);
    expect((await remove(id)).body.data).toMatchObject({ status: 'deleted' });
  }, 900_000);
});
