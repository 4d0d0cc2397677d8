import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthTotals } from '../domains/accounting/usage.js';
import { setPolicy } from '../domains/scaiecho/policy.js';
import { parseWavHeader } from '../lib/audio/wav.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { frameSocket, opened, type FrameSocket } from './support/frame-socket.js';
import { browserWithMicrophone, pageProblems, screenshotPath, spokenWav, startLiveDemo, stopLiveDemo } from './support/fake-microphone.js';
import { startScaiEchoStack, type ScaiEchoStack } from './support/scaiecho.js';
import { speak } from './support/speech.js';
import { newTenant, testDb } from './support/stack.js';

// /v1/modules/scaiecho/stream/transcribe as a client uses it: open, ready,
// PCM at speaking pace, partials and finals, close, closed; the session's
// audit row and its usage; and what is refused, with the close code that says why.

const db = testDb();
let s: ScaiEchoStack;
let t: Provisioned;

beforeAll(async () => {
  s = await startScaiEchoStack({ nodes: 2 });
  t = await newTenant(db);
}, 300_000);
afterAll(async () => {
  await s?.stop();
});

/** Spoken phrases, a second of silence after each, as 16 kHz mono PCM. */
function spokenPcm(...phrases: string[]): Buffer {
  const base = `${os.tmpdir()}/stream-${randomBytes(3).toString('hex')}`;
  const parts = phrases.map((p, i) => {
    const out = `${base}-${i}.wav`;
    execFileSync('sox', [speak(p), out, 'pad', '0', '1']);
    return out;
  });
  const all = `${base}-all.wav`;
  execFileSync('sox', [...parts, all]);
  const wav = fs.readFileSync(all);
  return wav.subarray(wav.length - parseWavHeader(wav)!.dataBytes);
}

/** Speech at speaking pace: 100 ms of 16 kHz PCM a frame. */
async function speakInto(session: FrameSocket, pcm: Buffer): Promise<void> {
  for (let at = 0; at < pcm.length; at += 3200) {
    session.ws.send(pcm.subarray(at, at + 3200));
    await new Promise((r) => setTimeout(r, 100));
  }
}

function connect(token: string | undefined, how: 'header' | 'query' = 'header'): FrameSocket {
  return frameSocket(`${s.api.url.replace('http', 'ws')}/v1/modules/scaiecho/stream/transcribe`, token, how);
}

describe('live transcription over WebSocket', () => {
  it('open → ready → PCM as spoken → partials and finals → close → closed, with its audit row and usage', async () => {
    const pcm = spokenPcm('the quick brown fox jumped over the lazy dog and ran into the forest to look for food', 'seven green apples on the table');
    const session = connect(t.apiKey.key);
    await opened(session.ws);
    session.ws.send(JSON.stringify({ type: 'open', language: 'en', sample_rate: 16_000 }));
    const ready = await session.next('ready');
    expect(ready).toMatchObject({ backend_used: 'A', sample_rate: 16_000 });
    await speakInto(session, pcm);
    session.ws.send(JSON.stringify({ type: 'close' }));
    const closed = await session.next('closed');
    expect(await session.closed).toMatchObject({ code: 1000 });

    const deltas = session.frames.filter((f) => f.type === 'delta');
    const firstFinal = deltas.findIndex((d) => d.is_final);
    const finals = deltas.filter((d) => d.is_final);
    expect(finals, JSON.stringify(deltas)).toHaveLength(2);
    expect(firstFinal, JSON.stringify(deltas)).toBeGreaterThan(0);
    expect(finals[0]!.text).toMatch(/quick brown fox/);
    expect(finals[1]!.text).toMatch(/apples/);
    const audioMs = Math.round((pcm.length / 32_000) * 1000);
    expect(closed).toMatchObject({ session_id: ready.session_id, text: `${finals[0]!.text} ${finals[1]!.text}` });
    // Audio time, counted from the bytes sent (not the clock): exact but for rounding.
    expect(Math.abs((closed.audio_ms as number) - audioMs)).toBeLessThanOrEqual(1);

    const row = await db.streamSession.findUniqueOrThrow({ where: { id: ready.session_id as string } });
    expect(row).toMatchObject({ tenantId: t.tenant.id, userId: t.user.id, backend: 'A', finals: 2, closeCode: 1000, audioMs: closed.audio_ms });
    expect(row.closedAt).not.toBeNull();
    const usage = await monthTotals(s.api.deps.redis, t.tenant.id, new Date(), t.user.id);
    expect(usage.user!.audio_ms).toBeGreaterThanOrEqual(audioMs - 1);
  }, 180_000);

  it('the STT node killed mid-stream: the session moves to the other node, and the client keeps its socket', async () => {
    const first = spokenPcm('the quick brown fox jumped over the lazy dog');
    const second = spokenPcm('seven green apples on the table');
    const session = connect(t.apiKey.key);
    await opened(session.ws);
    session.ws.send(JSON.stringify({ type: 'open' }));
    const ready = await session.next('ready');
    await speakInto(session, first);
    const used = (await db.streamSession.findUniqueOrThrow({ where: { id: ready.session_id as string } })).nodeId;
    const victim = s.nodes.find((n) => n.nodeId === used)!;
    await victim.process.stop(0);
    await speakInto(session, second);
    session.ws.send(JSON.stringify({ type: 'close' }));
    const closed = await session.next('closed');
    expect(await session.closed).toMatchObject({ code: 1000 });
    expect(session.frames.filter((f) => f.type === 'error')).toEqual([]);
    // What the dead node had not decoded is gone; what came after it is all there.
    expect(closed.text as string).toMatch(/apples/);
    const row = await db.streamSession.findUniqueOrThrow({ where: { id: ready.session_id as string } });
    expect(row.nodeId).not.toBe(used);
    expect(row.closeCode).toBe(1000);
  }, 180_000);

  it('/demo/live in a browser: a fake microphone playing speech, and the page shows the words', async () => {
    const browser = await browserWithMicrophone(spokenWav('the quick brown fox jumped over the lazy dog'));
    try {
      const page = await browser.newPage();
      const problems = pageProblems(page);
      await startLiveDemo(page, s.api.url, t.apiKey.key);
      await page.locator('#finals').filter({ hasText: /quick brown|brown fox|lazy dog/ }).waitFor({ timeout: 120_000 });
      await page.screenshot({ path: screenshotPath('demo-live.png'), fullPage: true });
      await stopLiveDemo(page);
      // A Content-Security-Policy violation or a script error shows here.
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 240_000);

  it('refuses before the socket exists without a valid credential or from a page elsewhere; a browser may send the token in the query string', async () => {
    await expect(opened(connect(undefined).ws)).rejects.toThrow(/401/);
    await expect(opened(connect('sgk_nope').ws)).rejects.toThrow(/401/);
    // A page elsewhere cannot ride a user's token; the API's own page can (the demo test).
    const elsewhere = frameSocket(`${s.api.url.replace('http', 'ws')}/v1/modules/scaiecho/stream/transcribe`, t.apiKey.key, 'header', 'https://evil.example');
    await expect(opened(elsewhere.ws)).rejects.toThrow(/403/);
    const viaQuery = connect(t.apiKey.key, 'query');
    await opened(viaQuery.ws);
    viaQuery.ws.close();
  });

  it('a bad frame, audio before open, a quiet socket: an error frame, then a close code that says why', async () => {
    const bad = connect(t.apiKey.key);
    await opened(bad.ws);
    bad.ws.send(JSON.stringify({ type: 'open', sample_rate: 3 }));
    expect(await bad.next('error')).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect((await bad.closed).code).toBe(4400);

    const early = connect(t.apiKey.key);
    await opened(early.ws);
    early.ws.send(Buffer.alloc(3200));
    expect(await early.next('error')).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect((await early.closed).code).toBe(4400);

    const before = await db.streamSession.count({ where: { tenantId: t.tenant.id } });
    const notJson = connect(t.apiKey.key);
    await opened(notJson.ws);
    notJson.ws.send('{open');
    expect(await notJson.next('error')).toMatchObject({ code: 'INVALID_JSON' });
    expect((await notJson.closed).code).toBe(4400);
    expect(await db.streamSession.count({ where: { tenantId: t.tenant.id } })).toBe(before);
  });

  it('a tenant whose policy allows only the relay streams on the relay (backend B): the words, the audit row', async () => {
    const relayOnly = await newTenant(db);
    await setPolicy(db, relayOnly.tenant.id, { allowedBackends: 'B', defaultBackend: 'B' });
    const before = Number((await (await fetch(`${s.relay.adminUrl}/stats`)).json() as { live_sessions: number }).live_sessions);
    const session = connect(relayOnly.apiKey.key);
    await opened(session.ws);
    session.ws.send(JSON.stringify({ type: 'open' }));
    const ready = await session.next('ready');
    expect(ready).toMatchObject({ backend_used: 'B' });
    await speakInto(session, spokenPcm('seven green apples on the table'));
    session.ws.send(JSON.stringify({ type: 'close' }));
    const closed = await session.next('closed');
    expect(await session.closed).toMatchObject({ code: 1000 });
    expect(closed.text as string).toMatch(/apples/);
    expect(session.frames.filter((f) => f.type === 'delta' && f.is_final)).toHaveLength(1);
    expect(await db.streamSession.findUniqueOrThrow({ where: { id: ready.session_id as string } })).toMatchObject({ backend: 'B', nodeId: null, closeCode: 1000 });
    expect(Number((await (await fetch(`${s.relay.adminUrl}/stats`)).json() as { live_sessions: number }).live_sessions)).toBe(before + 1);
  });

  // Last: it takes the suite's remaining node down.
  it('the last STT node killed mid-stream: the session moves to the relay, and the client keeps its socket', async () => {
    const session = connect(t.apiKey.key);
    await opened(session.ws);
    session.ws.send(JSON.stringify({ type: 'open' }));
    const ready = await session.next('ready');
    expect(ready).toMatchObject({ backend_used: 'A' });
    await speakInto(session, spokenPcm('the quick brown fox jumped over the lazy dog'));
    for (const node of s.nodes) await node.process.stop(0);
    await speakInto(session, spokenPcm('seven green apples on the table'));
    session.ws.send(JSON.stringify({ type: 'close' }));
    const closed = await session.next('closed');
    expect(await session.closed).toMatchObject({ code: 1000 });
    expect(session.frames.filter((f) => f.type === 'error')).toEqual([]);
    expect(closed.text as string).toMatch(/apples/);
    expect(await db.streamSession.findUniqueOrThrow({ where: { id: ready.session_id as string } })).toMatchObject({ backend: 'B', nodeId: null, closeCode: 1000 });
  }, 180_000);
});
