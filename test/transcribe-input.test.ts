import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import type { Provisioned } from '../lib/provisioning.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import { transcribe } from './support/scaiecho.js';
import { padTo, speak } from './support/speech.js';
import { newTenant, testConfig, testDb, uniq } from './support/stack.js';

// Upload limits and the inline/async split, with small caps so the files stay small.
describe('transcription uploads: caps and the async threshold', () => {
  const db = testDb();
  let api: RunningApi;
  let t: Provisioned;
  const cap = 400_000;
  const threshold = 150_000;

  beforeAll(async () => {
    api = await startApi(
      testConfig({
        SCAIWAVE_TEMPORAL_TASK_QUEUE: uniq('no-worker'),
        SCAIWAVE_SCAIECHO_MAX_UPLOAD_BYTES: String(cap),
        SCAIWAVE_SCAIECHO_ASYNC_AUDIO_THRESHOLD_BYTES: String(threshold),
      }),
      { port: 0 },
    );
    t = await newTenant(db);
  });
  afterAll(async () => {
    await api.close();
    await db.$disconnect();
  });

  it('answers 413 for an upload over the cap and stores nothing', async () => {
    const big = padTo(speak('too long to accept'), cap + 50_000);
    const res = await transcribe(api.url, t.apiKey.key, big);
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await db.transcriptionJob.count({ where: { tenantId: t.tenant.id } })).toBe(0);
  });

  it('queues audio over the threshold as an async job without being asked: 202, a queued row, a started workflow', async () => {
    const over = padTo(speak('long enough to go async'), threshold + 20_000);
    const res = await transcribe(api.url, t.apiKey.key, over);
    expect(res.status).toBe(202);
    const id = res.body.data!.job_id;
    expect(res.body.data!.status).toBe('queued');
    expect((await db.transcriptionJob.findUniqueOrThrow({ where: { id } })).isAsync).toBe(true);
    const desc = await api.deps.temporal.workflow.getHandle(workflowIds.transcribe(id)).describe();
    expect(desc.type).toBe('transcriptionJobWorkflow');
    expect(desc.status.name).toBe('RUNNING');
  });
});
