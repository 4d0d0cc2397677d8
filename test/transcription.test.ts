import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readUsage } from '../domains/accounting/usage.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { setPolicy } from '../domains/scaiecho/policy.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import { waitUntil } from '../devstack/ports.js';
import { jobEvents } from './support/events.js';
import { captureHistory } from './support/histories.js';
import { startScaiEchoStack, transcribe, waitForJob, type ScaiEchoStack } from './support/scaiecho.js';
import { speak, durationMs } from './support/speech.js';
import { call, newTenant, testDb } from './support/stack.js';

const FOX = 'the quick brown fox jumped over the lazy dog';
const heard = (t: string | null | undefined): string[] => ['quick', 'brown', 'fox', 'lazy', 'dog'].filter((w) => t?.includes(w));

describe('ScaiEcho transcription end to end', () => {
  const db = testDb();
  let s: ScaiEchoStack;
  let t: Provisioned;
  const fox = speak(FOX, 'slt');

  beforeAll(async () => {
    s = await startScaiEchoStack();
    t = await newTenant(db, { tier: 'pro' });
  });
  afterAll(async () => {
    await s?.stop();
    await db.$disconnect();
  });

  it('transcribes a short recording inline: 200 with transcript, segments, backend and a stored row', async () => {
    const res = await transcribe(s.api.url, t.apiKey.key, fox, { language: 'en' });
    expect(res.status).toBe(200);
    const j = res.body.data!;
    expect(heard(j.transcript)).toEqual(['quick', 'brown', 'fox', 'lazy', 'dog']);
    expect(j).toMatchObject({ status: 'completed', backend_used: 'A', language_detected: 'en' });
    expect(Math.abs(j.audio_duration_ms! - durationMs(fox))).toBeLessThan(100);
    expect(j.segments!.length).toBeGreaterThan(0);
    for (const seg of j.segments!) expect(seg.end_ms).toBeGreaterThan(seg.start_ms);
    const row = await db.transcriptionJob.findUniqueOrThrow({ where: { id: j.job_id } });
    expect(row.audioSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(row.isAsync).toBe(false);
    const usage = await readUsage(s.api.deps.redis, { tenantId: t.tenant.id, userId: t.user.id, kind: 'transcription', at: new Date() });
    expect(usage.audioMs).toBeGreaterThanOrEqual(j.audio_duration_ms!);
    const events = await jobEvents(t.tenant.id);
    expect(events.filter((e) => e.data.job_id === j.job_id).map((e) => e.data.status)).toEqual(['completed']);
  });

  it('runs force_async as a workflow: 202, poll, completed, audio staged in S3, searchable in Temporal', async () => {
    const res = await transcribe(s.api.url, t.apiKey.key, speak(FOX, 'rms'), { force_async: 'true' });
    expect(res.status).toBe(202);
    const id = res.body.data!.job_id;
    expect(res.body.data!.poll_url).toBe(`/v1/modules/scaiecho/jobs/${id}`);
    const done = await waitForJob(s.api.url, t.apiKey.key, id);
    expect(done.status).toBe('completed');
    expect(heard(done.transcript).length).toBeGreaterThanOrEqual(4);
    expect(done.completed_at).not.toBeNull();
    const row = await db.transcriptionJob.findUniqueOrThrow({ where: { id } });
    await s.api.deps.s3.send(new HeadObjectCommand({ Bucket: s.api.deps.config.env.SCAIWAVE_S3_BUCKET, Key: row.audioObjectKey! }));
    expect(row.audioObjectKey).toBe(`scaiecho/transcribe_jobs/${id}.wav`);
    const handle = s.api.deps.temporal.workflow.getHandle(workflowIds.transcribe(id));
    expect(await handle.result()).toEqual({ status: 'completed' });
    const desc = await handle.describe();
    expect(desc.searchAttributes).toMatchObject({ TenantId: [t.tenant.id], JobStatus: ['completed'], JobKind: ['scaiecho.transcription'] });
    expect(await handle.query('progress')).toMatchObject({ phase: 'completed', backend: 'A' });
    await captureHistory('transcriptionJobWorkflow--completed', handle);
    // Nothing personal in the history: no transcript words among the payloads.
    const history = JSON.stringify(await handle.fetchHistory());
    expect(history).not.toMatch(/lazy|brown/);
  });

  it('a worker killed during dispatch: a new worker finishes the job exactly once', async () => {
    const u = await newTenant(db, { tier: 'pro' });
    const node = s.nodes[0]!;
    await node.fault('stall');
    const res = await transcribe(s.api.url, u.apiKey.key, fox, { force_async: 'true' });
    const id = res.body.data!.job_id;
    const handle = s.api.deps.temporal.workflow.getHandle(workflowIds.transcribe(id));
    await waitUntil('dispatch under way', async () => (await handle.query<{ phase: string }>('progress')).phase === 'transcribing');
    process.kill(-s.worker.proc.child.pid!, 'SIGKILL');
    await s.worker.proc.exited;
    await node.fault('ok');
    await s.startWorker();
    expect(await handle.result()).toEqual({ status: 'completed' });
    await captureHistory('transcriptionJobWorkflow--worker-killed', handle);
    const done = await waitForJob(s.api.url, u.apiKey.key, id);
    expect(done.status).toBe('completed');
    expect(heard(done.transcript).length).toBeGreaterThanOrEqual(4);
    expect(await db.transcriptionJob.count({ where: { tenantId: u.tenant.id } })).toBe(1);
    const usage = await readUsage(s.api.deps.redis, { tenantId: u.tenant.id, userId: u.user.id, kind: 'transcription', at: new Date() });
    expect(usage).toEqual({ requests: 1, tokens: 0, audioMs: done.audio_duration_ms });
    const events = (await jobEvents(u.tenant.id)).map((e) => e.data.status);
    expect(events).toEqual(['running', 'completed']);
  }, 180_000);

  it('retries a transient node failure and succeeds', async () => {
    const node = s.nodes[0]!;
    const stats = async () => (await (await fetch(`${node.adminUrl}/stats`)).json()) as { failures_injected: number; served: number };
    const before = await stats();
    await node.fault('fail', 1);
    const res = await transcribe(s.api.url, t.apiKey.key, fox, { force_async: 'true' });
    const done = await waitForJob(s.api.url, t.apiKey.key, res.body.data!.job_id);
    expect(done.status).toBe('completed');
    const after = await stats();
    expect(after.failures_injected - before.failures_injected).toBe(1);
    expect(after.served - before.served).toBe(1);
  });

  it('undecodable audio: 400 inline and nothing stored; failed with a reason when async', async () => {
    // A well-formed RIFF header around a codec no engine knows: our probe accepts it, the backend cannot decode it.
    const header = Buffer.alloc(44);
    header.write('RIFF', 0);
    header.writeUInt32LE(36 + 32000, 4);
    header.write('WAVEfmt ', 8);
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(0x1234, 20);
    header.writeUInt16LE(1, 22);
    header.writeUInt32LE(16000, 24);
    header.writeUInt32LE(32000, 28);
    header.writeUInt16LE(2, 32);
    header.writeUInt16LE(16, 34);
    header.write('data', 36);
    header.writeUInt32LE(32000, 40);
    const odd = Buffer.concat([header, Buffer.alloc(32000, 3)]);
    const u = await newTenant(db, { tier: 'pro' });
    const sync = await transcribe(s.api.url, u.apiKey.key, odd);
    expect(sync.status).toBe(400);
    expect(sync.body.error?.code).toBe('AUDIO_UNDECODABLE');
    expect(await db.transcriptionJob.count({ where: { tenantId: u.tenant.id } })).toBe(0);
    const res = await transcribe(s.api.url, u.apiKey.key, odd, { force_async: 'true' });
    const done = await waitForJob(s.api.url, u.apiKey.key, res.body.data!.job_id);
    expect(done.status).toBe('failed');
    expect(done.status_reason).toMatch(/AUDIO_UNDECODABLE/);
    await captureHistory('transcriptionJobWorkflow--failed', s.api.deps.temporal.workflow.getHandle(workflowIds.transcribe(done.job_id)));
  });

  it('refuses what is not audio with 415, a missing file with 400, and stores nothing', async () => {
    const u = await newTenant(db);
    const text = await transcribe(s.api.url, u.apiKey.key, Buffer.from('just some meeting notes'));
    expect(text.status).toBe(415);
    const form = new FormData();
    form.append('language', 'en');
    const missing = await call(s.api.url, 'POST', '/v1/modules/scaiecho/transcribe', { token: u.apiKey.key, body: form });
    expect(missing.status).toBe(400);
    expect(missing.body.error?.message).toMatch(/file/);
    const badPref = await transcribe(s.api.url, u.apiKey.key, fox, { backend_preference: 'fastest' });
    expect(badPref.status).toBe(400);
    expect(await db.transcriptionJob.count({ where: { tenantId: u.tenant.id } })).toBe(0);
  });

  it('hides another tenant’s and another user’s jobs behind 404', async () => {
    const res = await transcribe(s.api.url, t.apiKey.key, fox);
    const id = res.body.data!.job_id;
    const other = await newTenant(db);
    const cross = await call(s.api.url, 'GET', `/v1/modules/scaiecho/jobs/${id}`, { token: other.apiKey.key });
    expect(cross.status).toBe(404);
    expect(cross.body.error?.code).toBe('NOT_FOUND');
    const cancel = await call(s.api.url, 'POST', `/v1/modules/scaiecho/jobs/${id}/cancel`, { token: other.apiKey.key });
    expect(cancel.status).toBe(404);
  });

  it('cancels a running job: the row ends cancelled, a finished job answers 409', async () => {
    const u = await newTenant(db, { tier: 'pro' });
    const node = s.nodes[0]!;
    await node.fault('stall');
    try {
      const res = await transcribe(s.api.url, u.apiKey.key, fox, { force_async: 'true' });
      const id = res.body.data!.job_id;
      const handle = s.api.deps.temporal.workflow.getHandle(workflowIds.transcribe(id));
      await waitUntil('dispatch under way', async () => (await handle.query<{ phase: string }>('progress')).phase === 'transcribing');
      const cancel = await call<{ status: string }>(s.api.url, 'POST', `/v1/modules/scaiecho/jobs/${id}/cancel`, { token: u.apiKey.key });
      expect(cancel.status).toBe(200);
      expect(cancel.body.data?.status).toBe('cancelled');
      expect((await db.transcriptionJob.findUniqueOrThrow({ where: { id } })).status).toBe('cancelled');
      const again = await call(s.api.url, 'POST', `/v1/modules/scaiecho/jobs/${id}/cancel`, { token: u.apiKey.key });
      expect(again.status).toBe(409);
      expect((await jobEvents(u.tenant.id)).map((e) => e.data.status)).toEqual(['running', 'cancelled']);
      await captureHistory('transcriptionJobWorkflow--cancelled', handle);
    } finally {
      await node.fault('ok');
    }
  });

  it('lists the caller’s jobs newest first with a cursor and a status filter', async () => {
    const u = await newTenant(db, { tier: 'pro' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await transcribe(s.api.url, u.apiKey.key, fox)).body.data!.job_id);
    const page1 = await call<{ jobs: { job_id: string }[]; next_cursor: string | null }>(
      s.api.url, 'GET', '/v1/modules/scaiecho/jobs?limit=2&status=completed', { token: u.apiKey.key },
    );
    expect(page1.body.data!.jobs.map((j) => j.job_id)).toEqual([ids[2], ids[1]]);
    const page2 = await call<{ jobs: { job_id: string }[]; next_cursor: string | null }>(
      s.api.url, 'GET', `/v1/modules/scaiecho/jobs?limit=2&cursor=${page1.body.data!.next_cursor}`, { token: u.apiKey.key },
    );
    expect(page2.body.data!.jobs.map((j) => j.job_id)).toEqual([ids[0]]);
    expect(page2.body.data!.next_cursor).toBeNull();
    const failed = await call<{ jobs: unknown[] }>(s.api.url, 'GET', '/v1/modules/scaiecho/jobs?status=failed', { token: u.apiKey.key });
    expect(failed.body.data!.jobs).toEqual([]);
  });

  it('node offline: an A-pinned tenant gets 503 BACKEND_UNAVAILABLE, an AB tenant falls through to B', async () => {
    const pinned = await newTenant(db, { tier: 'pro' });
    const ab = await newTenant(db, { tier: 'pro' });
    await setPolicy(db, pinned.tenant.id, { allowedBackends: 'A', defaultBackend: 'A' });
    await setPolicy(db, ab.tenant.id, { allowedBackends: 'AB', defaultBackend: 'A' });
    for (const n of s.nodes) await n.fault('offline');
    try {
      await waitUntil('nodes gone from the registry', async () => (await s.api.deps.registry.online('stt')).length === 0, 20_000);
      const refused = await transcribe(s.api.url, pinned.apiKey.key, fox);
      expect(refused.status).toBe(503);
      expect(refused.body.error?.code).toBe('BACKEND_UNAVAILABLE');
      const fell = await transcribe(s.api.url, ab.apiKey.key, fox);
      expect(fell.status).toBe(200);
      expect(fell.body.data!.backend_used).toBe('B');
      expect(heard(fell.body.data!.transcript).length).toBeGreaterThanOrEqual(4);
    } finally {
      for (const n of s.nodes) await n.fault('ok');
    }
  });
});
