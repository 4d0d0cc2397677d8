import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import { transcribe } from './support/scaiecho.js';
import { padTo, speak } from './support/speech.js';
import fs from 'node:fs';
import { call, newTenant, testConfig, testDb, uniq } from './support/stack.js';

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

  const post = (form: FormData) => call(api.url, 'POST', '/v1/modules/scaiecho/transcribe', { token: t.apiKey.key, body: form });
  const formOf = (entries: [string, string | Blob][]): FormData => {
    const form = new FormData();
    for (const [k, v] of entries) form.append(k, v);
    return form;
  };

  it('refuses a form with more than 20 fields with 400 instead of dropping those after the 20th', async () => {
    const u = await newTenant(db);
    const audio = new Blob([fs.readFileSync(speak('twenty fields'))]);
    const junk = (n: number): [string, string][] => Array.from({ length: n }, (_, i) => [`x${i}`, 'y']);
    // The 21st field is the one that matters: dropped, the request would silently run inline.
    const over = await call(api.url, 'POST', '/v1/modules/scaiecho/transcribe', {
      token: u.apiKey.key,
      body: formOf([...junk(20), ['force_async', 'true'], ['file', audio]]),
    });
    expect(over.status).toBe(400);
    expect(over.body.error).toMatchObject({ code: 'VALIDATION_ERROR', message: 'the form has more than 20 fields' });
    // Twenty are read whole: the answer is about the fields themselves (unknown ones are refused too), not the limit.
    const twenty = await call(api.url, 'POST', '/v1/modules/scaiecho/transcribe', {
      token: u.apiKey.key,
      body: formOf([...junk(19), ['force_async', 'true'], ['file', audio]]),
    });
    expect(twenty.status).toBe(400);
    expect(twenty.body.error?.message).toMatch(/^x0: not a known field; x1: /);
    expect(await db.transcriptionJob.count({ where: { tenantId: u.tenant.id } })).toBe(0);
  });

  it('refuses a second file, a file under another name and a field given twice, each naming the part', async () => {
    const audio = new Blob([fs.readFileSync(speak('one file only'))]);
    const cases: [[string, string | Blob][], RegExp][] = [
      [[['file', audio], ['file', audio]], /^file: only one file may be sent$/],
      [[['attachment', audio], ['file', audio]], /^attachment: unexpected file \(accepted: file\)$/],
      [[['language', 'en'], ['language', 'de'], ['file', audio]], /^language: the field is given more than once$/],
      [[['temperature', '0.'.padEnd(70_000, '1')], ['file', audio]], /^temperature: the field is longer than 65536 bytes$/],
    ];
    for (const [entries, message] of cases) {
      const res = await post(formOf(entries));
      expect(res.status).toBe(400);
      expect(res.body.error?.message).toMatch(message);
    }
  });

  it('refuses a temperature that is not a plain decimal number, naming the field', async () => {
    const audio = new Blob([fs.readFileSync(speak('temperature'))]);
    for (const temperature of ['', ' ', '0x1', '1e0', 'Infinity', '0.5.1']) {
      const res = await post(formOf([['temperature', temperature], ['file', audio]]));
      expect(res.status, JSON.stringify(temperature)).toBe(400);
      expect(res.body.error?.message).toMatch(/^temperature: must be a decimal number/);
    }
    const res = await post(formOf([['temperature', '0.5'], ['force_async', 'true'], ['file', audio]]));
    expect(res.status).toBe(202);
    expect((await db.transcriptionJob.findUniqueOrThrow({ where: { id: (res.body.data as { job_id: string }).job_id } })).temperature).toBe(0.5);
  });

  it('refuses a list limit that is not a plain number on every list that takes one', async () => {
    for (const list of ['/v1/modules/scaiecho/jobs', '/v1/modules/scaiecho/speakers']) {
      for (const limit of ['', '0x2', '2e0', ' 2']) {
        const res = await call(api.url, 'GET', `${list}?limit=${encodeURIComponent(limit)}`, { token: t.apiKey.key });
        expect(res.status, `${list} ${JSON.stringify(limit)}`).toBe(400);
        expect(res.body.error?.message).toMatch(/^limit: /);
      }
      expect((await call(api.url, 'GET', `${list}?limit=2`, { token: t.apiKey.key })).status).toBe(200);
    }
  });
});
