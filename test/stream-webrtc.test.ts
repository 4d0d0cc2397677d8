import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { startApi } from '../api/server.js';
import { waitUntil } from '../devstack/ports.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { browserWithMicrophone, pageProblems, screenshotPath, spokenWav, startLiveDemo, stopLiveDemo } from './support/fake-microphone.js';
import { frameSocket, opened } from './support/frame-socket.js';
import { startScaiEchoStack, type ScaiEchoStack } from './support/scaiecho.js';
import { call, newTenant, testConfig, testDb } from './support/stack.js';

// /v1/modules/scaiecho/stream/transcribe/webrtc/*: a real browser (Chromium,
// its fake microphone playing flite speech) offers, streams Opus over SRTP on
// loopback, and /demo/live shows the words that come on the control socket;
// the audit rows of both the peer connection and the live session. Then what
// is refused, checked from Node with a werift peer making real offers.

const BASE = '/v1/modules/scaiecho/stream/transcribe/webrtc/sessions';
/** The browser runs on this machine: the API offers loopback only. */
const LOOPBACK = { SCAIWAVE_SCAIECHO_WEBRTC_HOST_ADDRESSES: '127.0.0.1' };

const db = testDb();
let s: ScaiEchoStack;
let t: Provisioned;

beforeAll(async () => {
  s = await startScaiEchoStack({ nodes: 1, env: LOOPBACK });
  t = await newTenant(db);
}, 300_000);
afterAll(async () => {
  await s?.stop();
});

interface Answered {
  session_id: string;
  stream_session_id: string;
  sdp: string;
  events_url: string;
}

/** An offer as a sending peer makes it, every candidate gathered (on loopback). */
async function offer(): Promise<{ sdp: string; close(): Promise<void> }> {
  const pc = new RTCPeerConnection({
    codecs: { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 })] },
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
  });
  pc.addTransceiver('audio', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') await new Promise<void>((resolve) => pc.iceGatheringStateChange.subscribe((st) => st === 'complete' && resolve()));
  return { sdp: pc.localDescription!.sdp, close: () => pc.close() };
}

const rowsOf = async (tenantId: string) => ({
  webrtc: await db.webRtcSession.count({ where: { tenantId } }),
  stream: await db.streamSession.count({ where: { tenantId } }),
});

describe('live transcription over WebRTC', () => {
  it('/demo/live over WebRTC: the browser streams a spoken phrase, the page shows it, both audit rows are written', async () => {
    const browser = await browserWithMicrophone(spokenWav('the quick brown fox jumped over the lazy dog', 0.5, 2));
    let sessionId: string | undefined;
    try {
      const page = await browser.newPage();
      const problems = pageProblems(page);
      await startLiveDemo(page, s.api.url, t.apiKey.key, 'webrtc');
      await page.locator('#finals').filter({ hasText: /quick brown|brown fox|lazy dog/ }).waitFor({ timeout: 120_000 });
      sessionId = await page.locator('body').getAttribute('data-webrtc-session') ?? undefined;
      await page.screenshot({ path: screenshotPath('demo-live-webrtc.png'), fullPage: true });
      await stopLiveDemo(page);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }

    expect(sessionId).toBeDefined();
    await waitUntil('the webrtc row closed', async () => (await db.webRtcSession.findUnique({ where: { id: sessionId! } }))?.closedAt != null);
    const row = await db.webRtcSession.findUniqueOrThrow({ where: { id: sessionId! }, include: { streamSession: true } });
    expect(row).toMatchObject({ tenantId: t.tenant.id, userId: t.user.id, dtlsState: 'connected', codec: 'opus/48000/2', closeReason: 'closed by the client' });
    expect(['connected', 'completed']).toContain(row.iceState);
    expect(row.remoteCandidateType).toMatch(/^(host|prflx)$/);
    expect(row.connectedAt).not.toBeNull();
    expect(row.packetsReceived).toBeGreaterThan(50);
    expect(row.streamSession).toMatchObject({ tenantId: t.tenant.id, userId: t.user.id, backend: 'A', sampleRateHz: 16_000, closeCode: 1000, closeReason: 'closed by the client' });
    expect(row.streamSession.audioMs).toBeGreaterThan(0);
    expect(row.streamSession.finals).toBeGreaterThanOrEqual(1);
    expect(row.streamSession.closedAt).not.toBeNull();
  }, 240_000);

  it('refuses without a bearer (401), a body or an offer it cannot use (400, the envelope, no row written)', async () => {
    const peer = await offer();
    try {
      const none = await call(s.api.url, 'POST', BASE, { json: { sdp: peer.sdp } });
      expect(none.status).toBe(401);
      expect(none.body).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });

      const before = await rowsOf(t.tenant.id);
      const refusals: unknown[] = [
        { sdp: 'hello' },
        { sdp: peer.sdp, sample_rate: 16_000 },
        { sdp: peer.sdp, language: 'not a language' },
        { sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n' },
        { sdp: peer.sdp.replace(/opus\/48000/gi, 'PCMU/8000') },
      ];
      for (const body of refusals) {
        const res = await call(s.api.url, 'POST', BASE, { token: t.apiKey.key, json: body });
        expect(res.status, JSON.stringify(res.body)).toBe(400);
        expect(res.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
        expect(res.body.request_id).toEqual(expect.any(String));
      }
      expect(await rowsOf(t.tenant.id)).toEqual(before);
    } finally {
      await peer.close();
    }
  });

  it("a session's control socket and DELETE are its caller's only; one control socket at a time; DELETE answers the closed summary", async () => {
    const other = await newTenant(db);
    const peer = await offer();
    try {
      const res = await call<Answered>(s.api.url, 'POST', BASE, { token: t.apiKey.key, json: { sdp: peer.sdp, language: 'en' } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const answered = res.body.data!;
      expect(answered.sdp).toMatch(/^a=candidate:.* 127\.0\.0\.1 \d+ typ host/m);
      expect(answered.events_url).toBe(`${BASE}/${answered.session_id}/events`);
      const eventsUrl = `${s.api.url.replace('http', 'ws')}${answered.events_url}`;

      await expect(opened(frameSocket(eventsUrl, undefined).ws)).rejects.toThrow(/401/);
      await expect(opened(frameSocket(eventsUrl, other.apiKey.key).ws)).rejects.toThrow(/404/);
      await expect(opened(frameSocket(`${s.api.url.replace('http', 'ws')}${BASE}/nope/events`, t.apiKey.key).ws)).rejects.toThrow(/404/);
      const elsewhere = await call(s.api.url, 'DELETE', `${BASE}/${answered.session_id}`, { token: other.apiKey.key });
      expect(elsewhere.status).toBe(404);
      expect(elsewhere.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });

      // The ready frame was said before the socket attached: it comes first.
      const control = frameSocket(eventsUrl, t.apiKey.key, 'query');
      await opened(control.ws);
      expect(await control.next('ready')).toMatchObject({ session_id: answered.stream_session_id, backend_used: 'A' });
      await expect(opened(frameSocket(eventsUrl, t.apiKey.key).ws)).rejects.toThrow(/409/);
      control.ws.send(JSON.stringify({ type: 'open' }));
      expect(await control.next('error')).toMatchObject({ code: 'VALIDATION_ERROR' });

      const closed = await call<{ session_id: string; reason: string; audio_ms: number }>(s.api.url, 'DELETE', `${BASE}/${answered.session_id}`, { token: t.apiKey.key });
      expect(closed.status, JSON.stringify(closed.body)).toBe(200);
      expect(closed.body.data).toMatchObject({ session_id: answered.stream_session_id, reason: 'closed by the client', audio_ms: 0 });
      expect(await control.next('closed')).toMatchObject({ session_id: answered.stream_session_id });
      expect((await control.closed).code).toBe(1000);
      const row = await db.webRtcSession.findUniqueOrThrow({ where: { id: answered.session_id } });
      expect(row).toMatchObject({ streamSessionId: answered.stream_session_id, tenantId: t.tenant.id, packetsReceived: 0, closeReason: 'closed by the client' });
      expect(row.closedAt).not.toBeNull();
    } finally {
      await peer.close();
    }
  }, 60_000);

  it('past the sessions a process may hold: 503 with Retry-After; an API shutting down ends its sessions and completes their rows', async () => {
    // A second API on the same node registry, allowed one session.
    const small = await startApi(testConfig({ ...s.env, ...LOOPBACK, SCAIWAVE_SCAIECHO_WEBRTC_MAX_SESSIONS: '1' }), { port: 0 });
    const [first, second] = await Promise.all([offer(), offer()]);
    try {
      const held = await call<Answered>(small.url, 'POST', BASE, { token: t.apiKey.key, json: { sdp: first.sdp } });
      expect(held.status, JSON.stringify(held.body)).toBe(201);
      const full = await call(small.url, 'POST', BASE, { token: t.apiKey.key, json: { sdp: second.sdp } });
      expect(full.status).toBe(503);
      expect(full.headers.get('retry-after')).toBe('1');
      expect(full.body).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE' } });

      await small.close();
      const row = await db.webRtcSession.findUniqueOrThrow({ where: { id: held.body.data!.session_id }, include: { streamSession: true } });
      expect(row.closeReason).toBe('server going away');
      expect(row.closedAt).not.toBeNull();
      expect(row.streamSession).toMatchObject({ closeCode: 1001, closeReason: 'server going away' });
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  }, 60_000);
});
