import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../lib/infra/ids.js';
import { EVENT_LOG_RETENTION_MS } from '../domains/wave/event-retention.js';
import type { JobStatus } from '../domains/scaiecho/jobs.js';
import { audioObjectKey } from '../domains/scaiecho/jobs.js';
import { createS3 } from '../lib/infra/s3.js';
import { createTemporalClient } from '../lib/temporal/client.js';
import { retentionPurgeWorkflow, type RetentionSummary } from '../domains/retention/workflows.js';
import { captureHistory } from './support/histories.js';
import { startWorkerProcess, type WorkerProcess } from './support/processes.js';
import { newTenant, testConfig, testDb, uniq } from './support/stack.js';
import { placeHold, releaseHold } from '../domains/holds/holds.js';
import { createUser } from '../lib/tenancy/users.js';

// The retention purge against real S3 and MariaDB: jobs aged by their
// created_at, tenants with and without their own retention, and the audit
// trace. Other suites' jobs are all younger than a day, so nothing of theirs
// is due.

const config = testConfig();
const db = testDb();
const s3 = createS3(config);
const bucket = config.env.SCAIWAVE_S3_BUCKET;
const queue = uniq('retention');
const { client, close: closeTemporal } = createTemporalClient(config);
let worker: WorkerProcess;

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);

async function job(tenantId: string, userId: string, status: JobStatus, ageDays: number, withAudio: boolean): Promise<{ id: string; key: string | null }> {
  const id = newId();
  const key = withAudio ? audioObjectKey(id, 'wav') : null;
  if (key) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(`audio of ${id}`) }));
  await db.transcriptionJob.create({
    data: {
      id,
      tenantId,
      userId,
      status,
      isAsync: true,
      audioSha256: '0'.repeat(64),
      audioBytes: 12n,
      audioObjectKey: key,
      audioFormat: 'wav',
      transcript: status === 'completed' ? 'words that must go with the job' : null,
      createdAt: daysAgo(ageDays),
      completedAt: status === 'running' ? null : daysAgo(ageDays),
    },
  });
  return { id, key };
}

async function inS3(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

async function purge(): Promise<{ summary: RetentionSummary; runId: string }> {
  const handle = await client.workflow.start(retentionPurgeWorkflow, { taskQueue: queue, workflowId: uniq('wave-retention-purge-test') });
  const summary = await handle.result();
  // retentionPurgeWorkflow--completed.json keeps the shape from before room events (no event-log step).
  await captureHistory('retentionPurgeWorkflow--event-log', handle);
  return { summary, runId: handle.firstExecutionRunId };
}

beforeAll(async () => {
  worker = await startWorkerProcess({ SCAIWAVE_TEMPORAL_TASK_QUEUE: queue });
});
afterAll(async () => {
  await worker?.proc.stop(5000);
  await closeTemporal();
  s3.destroy();
  await db.$disconnect();
});

describe('retention purge', () => {
  it('removes exactly the expired staged audio and jobs, per tenant retention, and leaves an audit trace once', async () => {
    const own = await newTenant(db, { features: { retention: { staged_audio_days: 2, job_days: 10 } } });
    const dflt = await newTenant(db);
    const o = (status: JobStatus, age: number, audio: boolean) => job(own.tenant.id, own.user.id, status, age, audio);
    const d = (status: JobStatus, age: number, audio: boolean) => job(dflt.tenant.id, dflt.user.id, status, age, audio);
    // Defaults: staged audio 7 days, jobs 90 days.
    const fresh = await o('completed', 1, true); // kept whole
    const audioDue = await o('completed', 3, true); // audio goes, job stays
    const jobDue = await o('failed', 11, true); // job and audio go
    const running = await o('running', 40, true); // never touched while running
    const bare = await o('cancelled', 12, false); // job goes, had no audio
    const young = await d('completed', 3, true); // kept under the default 7 days
    const defaultAudioDue = await d('completed', 8, true); // audio goes
    const defaultJobDue = await d('completed', 91, true); // job and audio go

    const { summary, runId } = await purge();
    expect(summary.failed).toEqual([]);

    const exists = async (id: string) => (await db.transcriptionJob.count({ where: { id } })) === 1;
    expect(await Promise.all([fresh, audioDue, running, young, defaultAudioDue].map((j) => exists(j.id)))).toEqual([true, true, true, true, true]);
    expect(await Promise.all([jobDue, bare, defaultJobDue].map((j) => exists(j.id)))).toEqual([false, false, false]);
    expect(await Promise.all([fresh, running, young].map((j) => inS3(j.key!)))).toEqual([true, true, true]);
    expect(await Promise.all([audioDue, jobDue, defaultAudioDue, defaultJobDue].map((j) => inS3(j.key!)))).toEqual([false, false, false, false]);
    for (const j of [audioDue, defaultAudioDue]) {
      expect((await db.transcriptionJob.findUniqueOrThrow({ where: { id: j.id } })).audioObjectKey).toBeNull();
    }

    const trace = await db.retentionPurge.findMany({
      where: { tenantId: { in: [own.tenant.id, dflt.tenant.id] } },
      orderBy: { subjectId: 'asc' },
    });
    const expected = [
      { subjectId: audioDue.id, kind: 'staged_audio', objectKey: audioDue.key },
      { subjectId: jobDue.id, kind: 'transcription_job', objectKey: jobDue.key },
      { subjectId: bare.id, kind: 'transcription_job', objectKey: null },
      { subjectId: defaultAudioDue.id, kind: 'staged_audio', objectKey: defaultAudioDue.key },
      { subjectId: defaultJobDue.id, kind: 'transcription_job', objectKey: defaultJobDue.key },
    ].sort((a, b) => a.subjectId.localeCompare(b.subjectId));
    expect(trace.map((r) => ({ subjectId: r.subjectId, kind: r.kind, objectKey: r.objectKey }))).toEqual(expected);
    expect(trace.every((r) => r.runId === runId)).toBe(true);

    // A second run finds nothing of these tenants due and writes no second trace.
    await purge();
    expect(await db.retentionPurge.count({ where: { tenantId: { in: [own.tenant.id, dflt.tenant.id] } } })).toBe(5);
    expect(await inS3(fresh.key!)).toBe(true);
  }, 120_000);

  it('leaves what a legal hold covers: a held user\'s jobs, a held tenant\'s everything; a released hold lets the next run purge', async () => {
    const t = await newTenant(db);
    const other = await createUser(db, { tenantId: t.tenant.id, subject: uniq('other'), roles: ['member'] });
    const heldJob = await job(t.tenant.id, t.user.id, 'completed', 100, true);
    const freeJob = await job(t.tenant.id, other.id, 'completed', 100, true);
    const userHold = await placeHold(db, { tenantId: t.tenant.id, userId: null }, { scope: 'user', targetId: t.user.id, reason: 'case 1' });
    const whole = await newTenant(db);
    const wholeJob = await job(whole.tenant.id, whole.user.id, 'completed', 100, true);
    await placeHold(db, { tenantId: whole.tenant.id, userId: null }, { scope: 'tenant', reason: 'case 2' });

    await purge();
    const exists = async (id: string) => (await db.transcriptionJob.count({ where: { id } })) === 1;
    expect([await exists(heldJob.id), await exists(freeJob.id), await exists(wholeJob.id)]).toEqual([true, false, true]);
    expect([await inS3(heldJob.key!), await inS3(wholeJob.key!)]).toEqual([true, true]);

    await releaseHold(db, { tenantId: t.tenant.id, userId: null }, userHold.id);
    await purge();
    expect([await exists(heldJob.id), await exists(wholeJob.id)]).toEqual([false, true]);
  }, 120_000);

  it('prunes room events the stream no longer keeps and marks how far, per tenant; younger events stay', async () => {
    const pruned = await newTenant(db);
    const untouched = await newTenant(db);
    // Stream sequences far above any the run's real stream hands out, in the order the events happened.
    let seq = 10n ** 15n + BigInt(Date.now()) * 1000n;
    const event = (tenantId: string, ageMs: number) =>
      db.waveOutbox.create({
        data: {
          msgId: newId(),
          tenantId,
          roomId: newId(),
          subject: 'wave.retention-test',
          payload: {},
          createdAt: new Date(Date.now() - ageMs),
          publishedAt: new Date(Date.now() - ageMs),
          streamSeq: seq++,
        },
      });
    const past = EVENT_LOG_RETENTION_MS + 86_400_000;
    const gone = [await event(pruned.tenant.id, past + 3_600_000), await event(pruned.tenant.id, past)];
    // Not one left unrelayed: the run's API processes would relay it at once, under a real (lower) sequence.
    const kept = [await event(pruned.tenant.id, 3_600_000), await event(untouched.tenant.id, 3_600_000)];

    const { summary } = await purge();
    expect(summary.failed).toEqual([]);
    expect(summary.waveEventsPruned).toBeGreaterThanOrEqual(gone.length);
    const left = async (rows: { id: bigint }[]) => (await db.waveOutbox.findMany({ where: { id: { in: rows.map((r) => r.id) } } })).length;
    expect([await left(gone), await left(kept)]).toEqual([0, kept.length]);
    expect((await db.waveEventHorizon.findUnique({ where: { tenantId: pruned.tenant.id } }))?.prunedThroughSeq).toBe(gone[1]!.streamSeq);
    expect(await db.waveEventHorizon.findUnique({ where: { tenantId: untouched.tenant.id } })).toBeNull();
  }, 120_000);
});
