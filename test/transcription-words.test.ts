import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../devstack/ports.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { setPolicy } from '../domains/scaiecho/policy.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import { enrollSpeaker, startScaiEchoStack, transcribe, waitForJob, type ScaiEchoStack } from './support/scaiecho.js';
import { durationMs, repeatTo, speak, spokenWords, type Voice } from './support/speech.js';
import { call, newTenant, testDb } from './support/stack.js';

// What a new user sees on the stack `npm start` runs: the reference engines
// are Whisper tiny.en and Resemblyzer's d-vectors. A first sync transcription
// comes back as the words spoken, on the node (A) and through the relay (B);
// a dialogue of two enrolled voices comes back in their words and with their
// names. A cancelled job stops Whisper's decode, and the next job is decoded
// by a fresh engine process.

const PHRASES: [string, Voice][] = [
  ['please send the quarterly report to maria by friday', 'slt'],
  ['the quick brown fox jumps over the lazy dog and runs into the forest', 'rms'],
];

describe('Whisper reference engines: the words spoken', () => {
  const db = testDb();
  let s: ScaiEchoStack;

  async function newUserOn(backend: 'A' | 'B'): Promise<Provisioned> {
    const t = await newTenant(db);
    await setPolicy(db, t.tenant.id, { allowedBackends: backend, defaultBackend: backend });
    return t;
  }

  beforeAll(async () => {
    s = await startScaiEchoStack({ engine: 'whisper', diarizeEngine: 'd-vector', diarizers: 1 });
  }, 300_000);
  afterAll(async () => {
    await s?.stop();
    await db.$disconnect();
  });

  for (const backend of ['A', 'B'] as const) {
    it(`a new user's first sync transcriptions on backend ${backend} come back word for word`, async () => {
      const t = await newUserOn(backend);
      for (const [phrase, voice] of PHRASES) {
        const res = await transcribe(s.api.url, t.apiKey.key, speak(phrase, voice), { language: 'en' });
        expect(res.status).toBe(200);
        expect(res.body.data).toMatchObject({ status: 'completed', backend_used: backend });
        expect(spokenWords(res.body.data!.transcript)).toBe(phrase);
        expect(res.body.data!.segments!.map((seg) => spokenWords(seg.text)).join(' ')).toBe(phrase);
      }
    });
  }

  it('a dialogue of two enrolled voices: their words, each segment with its speaker', async () => {
    const t = await newUserOn('A');
    const enrolled: Record<string, string> = {};
    for (const [voice, name] of [['slt', 'Alice'], ['rms', 'Bob']] as const) {
      const reference = speak('She sells sea shells by the sea shore, and the shells she sells are surely sea shells.', voice);
      const res = await enrollSpeaker(s.api.url, t.apiKey.key, reference, speak('I agree that my voice may be enrolled for speaker attribution.', voice), name);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const id = res.body.data!.speaker_id;
      expect(await s.api.deps.temporal.workflow.getHandle(workflowIds.enrollSpeaker(id)).result()).toMatchObject({ status: 'ready' });
      enrolled[name] = id;
    }
    const [first, second] = PHRASES;
    const alice = speak(first![0], 'slt');
    const pause = alice.replace(/\.wav$/, '-pause.wav');
    const dialogue = alice.replace(/\.wav$/, '-dialogue.wav');
    execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', pause, 'trim', '0', '1']);
    execFileSync('sox', [alice, pause, speak(second![0], 'rms'), dialogue]);
    const switchMs = durationMs(alice) + 500;

    const res = await transcribe(s.api.url, t.apiKey.key, dialogue, { speakers: 'true' });
    const done = await waitForJob(s.api.url, t.apiKey.key, res.body.data!.job_id);
    expect(done.status).toBe('completed');
    expect(spokenWords(done.transcript)).toBe(`${first![0]} ${second![0]}`);
    const segments = done.segments!;
    expect(segments.some((g) => g.start_ms < switchMs) && segments.some((g) => g.start_ms > switchMs)).toBe(true);
    for (const g of segments) expect([g.speaker_id, g.speaker_label]).toEqual(g.start_ms < switchMs ? [enrolled.Alice, 'Alice'] : [enrolled.Bob, 'Bob']);
  }, 240_000);

  it('an async job cancelled while Whisper decodes: the job ends cancelled, the decode is killed, the next job is heard right', async () => {
    const t = await newUserOn('A');
    const node = s.nodes[0]!;
    const before = await node.stats();
    const long = repeatTo(speak(PHRASES[0]![0], 'slt'), 240);
    const res = await transcribe(s.api.url, t.apiKey.key, long, { force_async: 'true' });
    expect(res.status).toBe(202);
    const id = res.body.data!.job_id;
    await waitUntil('Whisper decoding the job', async () => Number((await node.stats()).engine_processes_running) > 0, 120_000);
    const cancel = await call<{ status: string }>(s.api.url, 'POST', `/v1/modules/scaiecho/jobs/${id}/cancel`, { token: t.apiKey.key });
    expect(cancel.body.data?.status).toBe('cancelled');
    await waitUntil('the node killed its engine and finished the call', async () => {
      const now = await node.stats();
      return Number(now.engine_processes_killed) > Number(before.engine_processes_killed) && now.in_flight === 0;
    });
    expect(await node.stats()).toMatchObject({ engine_processes_running: 0, in_flight: 0 });
    expect(await waitForJob(s.api.url, t.apiKey.key, id)).toMatchObject({ status: 'cancelled', transcript: null });

    const [phrase, voice] = PHRASES[1]!;
    const next = await transcribe(s.api.url, t.apiKey.key, speak(phrase, voice), { language: 'en' });
    expect(spokenWords(next.body.data!.transcript)).toBe(phrase);
  }, 300_000);
});
