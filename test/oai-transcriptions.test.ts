import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBudget } from '../domains/accounting/budgets.js';
import { startScaiEchoStack, transcribe, type ScaiEchoStack } from './support/scaiecho.js';
import { padTo, speak, spokenWords } from './support/speech.js';
import { call, newTenant, testConfig, testDb } from './support/stack.js';

// The OpenAI-compatible route, driven by OpenAI's own SDK pointed at
// <api>/oai/v1 with an sgk_ key, against real reference STT nodes: every
// response format, segment timestamps, streaming, and refusals the SDK reads as
// its APIError. Same auth, budget and job row as the native sync route.

describe('OpenAI-compatible transcription (/oai/v1)', () => {
  const db = testDb();
  let s: ScaiEchoStack;
  let key: string;
  let tenantId: string;
  let client: OpenAI;
  const phrase = 'the quick brown fox jumped over the lazy dog';
  const wav = speak(phrase);
  const file = () => fs.createReadStream(wav);

  const refusal = async (p: Promise<unknown>): Promise<APIError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(APIError);
    return err as APIError;
  };

  beforeAll(async () => {
    s = await startScaiEchoStack();
    const t = await newTenant(db, { tier: 'pro' });
    key = t.apiKey.key;
    tenantId = t.tenant.id;
    client = new OpenAI({ apiKey: key, baseURL: `${s.api.url}/oai/v1`, maxRetries: 0 });
  }, 240_000);
  afterAll(async () => {
    await s?.stop();
    await db.$disconnect();
  });

  it('lists whisper-1 in OpenAI’s list shape', async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m);
    expect(models).toEqual([{ id: 'whisper-1', object: 'model', created: expect.any(Number), owned_by: 'scaiwave' }]);
  });

  it('json, text, srt, vtt and verbose_json carry the transcript the native route gives, and each is a job of the caller', async () => {
    const native = await transcribe(s.api.url, key, wav);
    expect(native.status).toBe(200);
    const expected = native.body.data!.transcript!;
    expect(spokenWords(expected)).toContain('brown fox');
    const jobsBefore = await db.transcriptionJob.count({ where: { tenantId } });

    const json = await client.audio.transcriptions.create({ file: file(), model: 'whisper-1' });
    expect(json).toMatchObject({ text: expected, usage: { type: 'duration', seconds: expect.any(Number) } });

    const text = await client.audio.transcriptions.create({ file: file(), model: 'whisper-1', response_format: 'text' });
    expect(text).toBe(`${expected}\n`);

    const verbose = await client.audio.transcriptions.create({
      file: file(),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['segment'],
      language: 'en',
      temperature: 0,
      prompt: 'a fox',
    });
    expect(verbose).toMatchObject({ task: 'transcribe', language: 'en', text: expected });
    expect(verbose.duration).toBeCloseTo(native.body.data!.audio_duration_ms! / 1000, 3);
    expect(verbose.segments!.length).toBeGreaterThan(0);
    expect(verbose.segments!.map((x) => x.text).join(' ')).toBe(expected);
    verbose.segments!.forEach((seg, i) => {
      expect(seg.id).toBe(i);
      expect(seg.end).toBeGreaterThanOrEqual(seg.start);
      expect(seg.end).toBeLessThanOrEqual(verbose.duration);
    });
    expect(verbose.words).toBeUndefined();

    const srt = await client.audio.transcriptions.create({ file: file(), model: 'whisper-1', response_format: 'srt' });
    expect(srt).toMatch(/^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n/);
    expect(srt).toContain(verbose.segments![0]!.text);

    const vtt = await client.audio.transcriptions.create({ file: file(), model: 'whisper-1', response_format: 'vtt' });
    expect(vtt).toMatch(/^WEBVTT\n\n\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}\n/);

    // Accounted as the native route accounts: one inline job row per call.
    expect(await db.transcriptionJob.count({ where: { tenantId } })).toBe(jobsBefore + 5);
  }, 120_000);

  it('Idempotency-Key: a retried request answers the first one\'s transcript, in the format it asks for, without a second job', async () => {
    const retry = { headers: { 'Idempotency-Key': `oai-${tenantId}-1` } };
    const first = await client.audio.transcriptions.create({ file: file(), model: 'whisper-1', response_format: 'verbose_json' }, retry);
    const jobs = await db.transcriptionJob.count({ where: { tenantId } });
    const again = await client.audio.transcriptions.create({ file: file(), model: 'whisper-1', response_format: 'verbose_json' }, retry).withResponse();
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data).toEqual(first);
    expect(await db.transcriptionJob.count({ where: { tenantId } })).toBe(jobs);
    const other = await refusal(client.audio.transcriptions.create({ file: file(), model: 'whisper-1', response_format: 'srt' }, retry));
    expect(other.status).toBe(422);
  }, 60_000);

  it('stream=true: transcript.text.delta events that add up to the text, then transcript.text.done', async () => {
    const stream = await client.audio.transcriptions.create({ file: file(), model: 'whisper-1', stream: true });
    const events = [];
    for await (const e of stream) events.push(e);
    const done = events.at(-1)!;
    expect(done.type).toBe('transcript.text.done');
    const deltas = events.slice(0, -1);
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.every((e) => e.type === 'transcript.text.delta')).toBe(true);
    const text = (done as { text: string }).text;
    expect(deltas.map((e) => (e as { delta: string }).delta).join('')).toBe(text);
    expect(spokenWords(text)).toContain('brown fox');
  }, 60_000);

  it('word timestamps are refused, not made up; bad input is a 400 naming the field', async () => {
    const words = await refusal(client.audio.transcriptions.create({ file: file(), model: 'whisper-1', response_format: 'verbose_json', timestamp_granularities: ['word', 'segment'] }));
    expect(words.status).toBe(400);
    expect(words.error).toMatchObject({ type: 'invalid_request_error', param: 'timestamp_granularities[]', code: 'validation_error' });
    expect(words.message).toMatch(/segment times only/);

    const temperature = await refusal(client.audio.transcriptions.create({ file: file(), model: 'whisper-1', temperature: 3 }));
    expect(temperature.status).toBe(400);
    expect(temperature.error).toMatchObject({ param: 'temperature', code: 'validation_error' });

    const notAudio = await refusal(client.audio.transcriptions.create({ file: new File([Buffer.from('not audio at all, just text')], 'notes.wav'), model: 'whisper-1' }));
    expect(notAudio.status).toBe(415);
    expect(notAudio.code).toBe('unsupported_media_type');

    const truncated = await refusal(client.audio.transcriptions.create({ file: new File([fs.readFileSync(wav).subarray(0, 30)], 'cut.wav'), model: 'whisper-1' }));
    expect(truncated.status).toBe(400);
    expect(truncated.code).toBe('audio_undecodable');
  }, 60_000);

  it('an unknown model is 404 model_not_found', async () => {
    const err = await refusal(client.audio.transcriptions.create({ file: file(), model: 'gpt-4o-transcribe' }));
    expect(err.status).toBe(404);
    expect(err.error).toMatchObject({ type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
  });

  it('a wrong key is 401 invalid_api_key, in OpenAI’s shape; /v1 keeps the standard envelope', async () => {
    const wrong = new OpenAI({ apiKey: 'sgk_not-a-real-key-000000000000000000', baseURL: `${s.api.url}/oai/v1`, maxRetries: 0 });
    const err = await refusal(wrong.models.list());
    expect(err.status).toBe(401);
    expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key', param: null });
    const native = await call(s.api.url, 'GET', '/v1/me', { token: 'sgk_not-a-real-key-000000000000000000' });
    expect(native.body).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });
    // A path no route serves under /oai/v1 is refused in OpenAI's shape too.
    const res = await fetch(`${s.api.url}/oai/v1/no-such-thing`, { headers: { Authorization: `Bearer ${key}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'not_found' } });
  });

  it('over budget: 402 insufficient_quota, nothing transcribed', async () => {
    const t = await newTenant(db, { tier: 'pro' });
    await setBudget(db, t.tenant.id, { maxAudioMs: 500 });
    const poor = new OpenAI({ apiKey: t.apiKey.key, baseURL: `${s.api.url}/oai/v1`, maxRetries: 0 });
    const err = await refusal(poor.audio.transcriptions.create({ file: file(), model: 'whisper-1' }));
    expect(err.status).toBe(402);
    expect(err.error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota' });
    expect(err.message).toMatch(/budget/);
    expect(await db.transcriptionJob.count({ where: { tenantId: t.tenant.id } })).toBe(0);
  });

  it('a file over the inline limit is 413, pointing at the async route', async () => {
    const big = padTo(wav, testConfig(s.env).env.SCAIWAVE_SCAIECHO_ASYNC_AUDIO_THRESHOLD_BYTES + 1);
    const err = await refusal(client.audio.transcriptions.create({ file: fs.createReadStream(big), model: 'whisper-1' }));
    expect(err.status).toBe(413);
    expect(err.code).toBe('payload_too_large');
  }, 60_000);

  it('the official Python openai package transcribes through it too', async () => {
    const python = `${process.cwd()}/.devstack/speech-venv/bin/python`;
    // Not execFileSync: the API answering it runs in this process.
    const { stdout: out } = await promisify(execFile)(python, ['test/support/oai_client.py', `${s.api.url}/oai/v1`, key, wav], { encoding: 'utf8' });
    const answer = JSON.parse(out) as { text: string; segments: number; streamed: string };
    expect(spokenWords(answer.text)).toContain('brown fox');
    expect(answer.segments).toBeGreaterThan(0);
    expect(answer.streamed).toBe(answer.text);
  }, 60_000);
});

