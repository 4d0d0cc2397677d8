import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../devstack/ports.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { startApiProcess, type ApiProcess } from './support/processes.js';
import { startScaiEchoStack, transcribe, type JobBody, type ScaiEchoStack } from './support/scaiecho.js';
import { speak } from './support/speech.js';
import { call, newTenant, testDb, uniq, type ApiAnswer } from './support/stack.js';

// Idempotency-Key as a client retrying after a timeout uses it: the same key
// gets the same job or message, from any API process, even while the first
// request is still uploading; the same key with another request is refused.

const db = testDb();
let s: ScaiEchoStack;
let other: ApiProcess;
let t: Provisioned;

beforeAll(async () => {
  s = await startScaiEchoStack();
  other = await startApiProcess(s.env);
  t = await newTenant(db, { roles: ['admin'] });
}, 300_000);
afterAll(async () => {
  await other?.proc.stop(3000);
  await s?.stop();
});

const FOX = speak('the quick brown fox jumps over the lazy dog');
const APPLES = speak('green apples on the kitchen table');
const jobsOf = (sha: string) => db.transcriptionJob.count({ where: { tenantId: t.tenant.id, audioSha256: sha } });
const keyed = (key: string) => ({ 'Idempotency-Key': key });

/** A multipart upload sent in two halves: the second only when `finish` is called. */
function slowUpload(url: string, token: string, key: string, file: string): { finish(): void; answer: Promise<ApiAnswer<JobBody>> } {
  const audio = fs.readFileSync(file);
  const boundary = `----${uniq('b')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="force_async"\r\n\r\ntrue\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${path.basename(file)}"\r\nContent-Type: audio/wav\r\n\r\n`,
  );
  const body = Buffer.concat([head, audio, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const half = head.length + Math.floor(audio.length / 2);
  let finish = (): void => undefined;
  const answer = new Promise<ApiAnswer<JobBody>>((resolve, reject) => {
    const req = http.request(`${url}/v1/modules/scaiecho/transcribe`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': body.length, ...keyed(key) },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: new Headers(), body: JSON.parse(Buffer.concat(chunks).toString()) as ApiAnswer<JobBody>['body'] }));
    });
    req.on('error', reject);
    req.write(body.subarray(0, half));
    finish = () => req.end(body.subarray(half));
  });
  return { finish: () => finish(), answer };
}

describe('Idempotency-Key', () => {
  it('a retried transcription answers the same job, replayed, and makes no second', async () => {
    const key = uniq('key');
    const first = await transcribe(s.api.url, t.apiKey.key, FOX, {}, keyed(key));
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.headers.get('Idempotent-Replayed')).toBeNull();
    const again = await transcribe(other.url, t.apiKey.key, FOX, {}, keyed(key));
    expect(again.status).toBe(200);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(again.body.data).toMatchObject({ job_id: first.body.data!.job_id, transcript: first.body.data!.transcript });
    expect(await jobsOf(first.body.data!.audio_sha256)).toBe(1);

    // The same key with other audio is another request: refused, nothing made.
    const changed = await transcribe(s.api.url, t.apiKey.key, APPLES, {}, keyed(key));
    expect(changed.status).toBe(422);
    expect(changed.body.error?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // A key is the caller's own: another user of the tenant with the same key gets a job of their own.
    const colleague = await newTenant(db);
    const theirs = await transcribe(s.api.url, colleague.apiKey.key, FOX, {}, keyed(key));
    expect(theirs.status).toBe(200);
    expect(theirs.body.data!.job_id).not.toBe(first.body.data!.job_id);
  });

  it('a retry sent to another API process while the first still uploads waits, and gets the same queued job', async () => {
    const key = uniq('key');
    const slow = slowUpload(s.api.url, t.apiKey.key, key, FOX);
    const slot = () => db.idempotencyKey.count({ where: { tenantId: t.tenant.id, owner: { not: null } } });
    await waitUntil('the first request holds its key', async () => (await slot()) > 0);
    let retried = false;
    const retry = transcribe(other.url, t.apiKey.key, FOX, { force_async: 'true' }, keyed(key)).finally(() => (retried = true));
    // The retry has all its body; whatever time it is given, it cannot answer before the first has.
    await new Promise((r) => setTimeout(r, 1500));
    expect(retried).toBe(false);
    slow.finish();
    const [a, b] = await Promise.all([slow.answer, retry]);
    expect(a.status, JSON.stringify(a.body)).toBe(202);
    expect(b.status, JSON.stringify(b.body)).toBe(202);
    expect(b.body.data!.job_id).toBe(a.body.data!.job_id);
    expect(b.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await db.transcriptionJob.count({ where: { tenantId: t.tenant.id, audioSha256: a.body.data!.audio_sha256, isAsync: true } })).toBe(1);
  });

  it('a request refused gives its key up; a malformed key is refused before anything runs', async () => {
    const key = uniq('key');
    const refused = await transcribe(s.api.url, t.apiKey.key, Buffer.from('not audio at all'), {}, keyed(key));
    expect([400, 415]).toContain(refused.status);
    const then = await transcribe(s.api.url, t.apiKey.key, APPLES, {}, keyed(key));
    expect(then.status, JSON.stringify(then.body)).toBe(200);
    expect(then.headers.get('Idempotent-Replayed')).toBeNull();

    const before = await db.transcriptionJob.count({ where: { tenantId: t.tenant.id } });
    for (const bad of ['', 'x'.repeat(256), 'tab\there']) {
      const res = await transcribe(s.api.url, t.apiKey.key, APPLES, {}, keyed(bad));
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error?.code).toBe('VALIDATION_ERROR');
    }
    expect(await db.transcriptionJob.count({ where: { tenantId: t.tenant.id } })).toBe(before);
  });

  it('a retried message post answers the same message; another body under the key is 422', async () => {
    const wave = <T,>(method: string, p: string, json?: unknown, headers: Record<string, string> = {}) =>
      call<T>(s.api.url, method, `/v1/wave${p}`, { token: t.apiKey.key, json, headers });
    const ws = (await wave<{ id: string }>('POST', '/workspaces', { slug: uniq('ws'), name: 'Idempotent' })).body.data!.id;
    const room = (await wave<{ id: string }>('POST', `/workspaces/${ws}/rooms`, { kind: 'channel', name: 'retries' })).body.data!.id;
    const key = uniq('key');
    const first = await wave<{ id: string; body: string }>('POST', `/rooms/${room}/messages`, { body: 'posted once' }, keyed(key));
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const again = await call<{ id: string; body: string }>(other.url, 'POST', `/v1/wave/rooms/${room}/messages`, { token: t.apiKey.key, json: { body: 'posted once' }, headers: keyed(key) });
    expect(again.status).toBe(201);
    expect(again.body.data).toMatchObject({ id: first.body.data!.id, body: 'posted once' });
    const changed = await wave('POST', `/rooms/${room}/messages`, { body: 'posted twice?' }, keyed(key));
    expect(changed.status).toBe(422);
    expect(await db.waveMessage.count({ where: { roomId: room } })).toBe(1);
    const unkeyed = await wave('POST', `/rooms/${room}/messages`, { body: 'posted once' });
    expect(unkeyed.status).toBe(201);
    expect(await db.waveMessage.count({ where: { roomId: room } })).toBe(2);
  });
});
