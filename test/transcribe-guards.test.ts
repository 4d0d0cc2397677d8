import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { waitUntil } from '../devstack/ports.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { setPolicy } from '../domains/scaiecho/policy.js';
import { flacClaiming, wavWithHeader } from './support/audio-headers.js';
import { startScaiEchoStack, transcribe, transcribeUntilHangUp, waitForJob, type ScaiEchoStack } from './support/scaiecho.js';
import { convert, speak } from './support/speech.js';
import { newTenant, testConfig, testDb } from './support/stack.js';

// What the transcription route refuses before any backend is called, and how
// the inline path lets go of a backend: at its time bound, or when the client
// hangs up. The reference node and relay count what reached them.

/** The counters of a reference node's or relay's GET /stats this file reads. */
interface Stats {
  requests: number;
  cancelled: number;
  failures_injected: number;
  in_flight: number;
}

describe('transcription guards: bad headers, column bounds, the sync bound, hang-ups', () => {
  const db = testDb();
  let s: ScaiEchoStack;
  /** The same stack behind an API whose sync bound is 1 s, the smallest the config takes. */
  let impatient: RunningApi;
  const stats = async (adminUrl: string): Promise<Stats> => (await (await fetch(`${adminUrl}/stats`)).json()) as Stats;
  const fault = async (adminUrl: string, mode: string): Promise<void> => {
    const res = await fetch(`${adminUrl}/admin/fault`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode }) });
    expect(res.status).toBe(200);
  };
  const node = () => s.nodes[0]!.adminUrl;
  const relay = () => s.relay.adminUrl;
  const backendRequests = async (): Promise<number> => (await stats(node())).requests + (await stats(relay())).requests;

  /** Refused with `status`/`code` on the sync and the async path alike, with no backend call and no row. */
  async function refusedBeforeDispatch(t: Provisioned, audio: Buffer, status: number, code: string, fields: Record<string, string> = {}) {
    const before = await backendRequests();
    const answers = [await transcribe(s.api.url, t.apiKey.key, audio, fields), await transcribe(s.api.url, t.apiKey.key, audio, { ...fields, force_async: 'true' })];
    for (const res of answers) {
      expect(res.status).toBe(status);
      expect(res.body.error?.code).toBe(code);
    }
    expect(await backendRequests()).toBe(before);
    expect(await db.transcriptionJob.count({ where: { tenantId: t.tenant.id } })).toBe(0);
    return answers[0]!.body.error!;
  }

  beforeAll(async () => {
    s = await startScaiEchoStack({ engine: 'instant' });
    impatient = await startApi(testConfig({ ...s.env, SCAIWAVE_SCAIECHO_SYNC_TIMEOUT_MS: '1000' }), { port: 0 });
  });
  afterAll(async () => {
    await impatient?.close();
    await s?.stop();
    await db.$disconnect();
  });

  it('a WAV claiming a sample rate of 1 Hz: 400 at once, nothing dispatched, nothing stored', async () => {
    const t = await newTenant(db);
    const error = await refusedBeforeDispatch(t, wavWithHeader({ sampleRate: 1 }), 400, 'AUDIO_UNDECODABLE');
    expect(error.message).toMatch(/sample rate of 1 Hz/);
  });

  it('a WAV claiming 65535 channels: 400 naming the channels, no backend text', async () => {
    const t = await newTenant(db);
    const error = await refusedBeforeDispatch(t, wavWithHeader({ channels: 65_535 }), 400, 'AUDIO_UNDECODABLE');
    expect(error.message).toMatch(/65535 channels; send mono or stereo/);
    expect(error.message).not.toMatch(/relay|node|sox|engine/i);
  });

  it('a WAV announcing more audio than was uploaded: 400', async () => {
    const t = await newTenant(db);
    const error = await refusedBeforeDispatch(t, wavWithHeader({ declaredBytes: 32_000_000 }), 400, 'AUDIO_UNDECODABLE');
    expect(error.message).toMatch(/announces 32000000 bytes of audio but the upload holds 32000/);
  });

  it('audio longer than the tenant’s features.scaiecho.max_audio_ms: 413 AUDIO_TOO_LONG; the same audio passes for another tenant', async () => {
    const limited = await newTenant(db, { features: { scaiecho: { max_audio_ms: 1500 } } });
    const twoSeconds = wavWithHeader({ dataBytes: 64_000 });
    const error = await refusedBeforeDispatch(limited, twoSeconds, 413, 'AUDIO_TOO_LONG');
    expect(error.message).toMatch(/2 s long; the longest accepted is 1.5 s/);
    const other = await newTenant(db);
    expect((await transcribe(s.api.url, other.apiKey.key, twoSeconds)).status).toBe(200);
  });

  it('a FLAC header claiming 49 days (more ms than audio_duration_ms holds): 413, not 503', async () => {
    const t = await newTenant(db);
    const flac = flacClaiming(convert(speak('forty nine days'), 'flac'), 49 * 86_400);
    const error = await refusedBeforeDispatch(t, flac, 413, 'AUDIO_TOO_LONG');
    expect(error.message).toMatch(/1176 h long/);
  });

  it('a language longer than its 16-character column: 400 on both paths before any transcription, nothing written', async () => {
    const t = await newTenant(db);
    const error = await refusedBeforeDispatch(t, wavWithHeader(), 400, 'VALIDATION_ERROR', { language: 'en-abcdefgh-abcde' });
    expect(error.message).toMatch(/^language: /);
  });

  it('what a backend says stays in our logs: the client reads a plain message, inline and in status_reason', async () => {
    // The instant engine reads WAV only: a sound FLAC passes our probe and is refused by the backends.
    const flac = fs.readFileSync(convert(speak('plain words only'), 'flac'));
    const t = await newTenant(db);
    const inline = await transcribe(s.api.url, t.apiKey.key, flac);
    expect(inline.status).toBe(400);
    expect(inline.body.error).toMatchObject({ code: 'AUDIO_UNDECODABLE', message: 'the audio could not be decoded' });
    const queued = await transcribe(s.api.url, t.apiKey.key, flac, { force_async: 'true' });
    const failed = await waitForJob(s.api.url, t.apiKey.key, queued.body.data!.job_id);
    expect(failed).toMatchObject({ status: 'failed', status_reason: 'AUDIO_UNDECODABLE: the audio could not be decoded' });

    const ab = await newTenant(db);
    await setPolicy(db, ab.tenant.id, { allowedBackends: 'AB', defaultBackend: 'A' });
    await Promise.all([fault(node(), 'fail'), fault(relay(), 'fail')]);
    try {
      const res = await transcribe(s.api.url, ab.apiKey.key, wavWithHeader());
      expect(res.status).toBe(503);
      expect(res.body.error?.code).toBe('BACKEND_UNAVAILABLE');
      expect(res.body.error?.message).not.toMatch(/fault|answered|relay|ScaiInfer|node/i);
    } finally {
      await Promise.all([fault(node(), 'ok'), fault(relay(), 'ok')]);
    }
  });

  it('a stalled backend: 504 UPSTREAM_TIMEOUT at the sync bound, and the backend sees its call cancelled (A, then B)', async () => {
    for (const [backend, adminUrl] of [['A', node()], ['B', relay()]] as const) {
      const t = await newTenant(db);
      await setPolicy(db, t.tenant.id, { allowedBackends: backend, defaultBackend: backend });
      const before = await stats(adminUrl);
      await fault(adminUrl, 'stall');
      try {
        const res = await transcribe(impatient.url, t.apiKey.key, wavWithHeader());
        expect(res.status).toBe(504);
        expect(res.body.error?.code).toBe('UPSTREAM_TIMEOUT');
        expect(res.body.error?.message).toMatch(/force_async=true/);
        await waitUntil(`backend ${backend} saw the cancel`, async () => (await stats(adminUrl)).cancelled === before.cancelled + 1);
        expect((await stats(adminUrl)).in_flight).toBe(0);
      } finally {
        await fault(adminUrl, 'ok');
      }
      expect(await db.transcriptionJob.count({ where: { tenantId: t.tenant.id } })).toBe(0);
    }
  });

  it('a client hanging up mid sync transcription cancels the backend call; nothing is stored', async () => {
    const t = await newTenant(db);
    await setPolicy(db, t.tenant.id, { allowedBackends: 'A', defaultBackend: 'A' });
    const before = await stats(node());
    await fault(node(), 'stall');
    try {
      const client = transcribeUntilHangUp(s.api.url, t.apiKey.key, wavWithHeader());
      await waitUntil('the call stalled on the node', async () => (await stats(node())).failures_injected > before.failures_injected);
      client.hangUp();
      expect(await client.answer).toMatchObject({ name: 'AbortError' });
      await waitUntil('the node saw the cancel', async () => (await stats(node())).cancelled === before.cancelled + 1);
    } finally {
      await fault(node(), 'ok');
    }
    expect(await db.transcriptionJob.count({ where: { tenantId: t.tenant.id } })).toBe(0);
  });
});
