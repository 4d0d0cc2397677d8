import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startApi, type RunningApi } from '../api/server.js';
import { hardeningHeaders } from '../api/middleware/security-headers.js';
import { createApiKey } from '../lib/auth/api-keys.js';
import { createUser } from '../lib/tenancy/users.js';
import { expectHardened } from './support/hardening.js';
import { call, newTenant, testConfig, testDb, uniq } from './support/stack.js';

// Issue 19, part 2: a refused WebSocket upgrade is an answer like any other —
// the envelope with request_id, X-Request-Id and the hardening headers — and
// the socket's own limits (browser origin, sockets per user, per process) hold.

type Upgrade =
  | { opened: true; ws: WebSocket; headers: IncomingHttpHeaders }
  | { opened: false; status: number; headers: IncomingHttpHeaders; body: { success: boolean; error: { code: string; message: string }; request_id: string } };

function upgrade(base: string, headers: Record<string, string>): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/wave/ws`, { headers });
    ws.once('upgrade', (res) => ws.once('open', () => resolve({ opened: true, ws, headers: res.headers })));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ opened: false, status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(body) }));
    });
    ws.once('error', reject);
  });
}

function refused(u: Upgrade) {
  if (u.opened) throw new Error('the upgrade was accepted');
  return u;
}
const closed = (ws: WebSocket) => new Promise<void>((resolve) => (ws.once('close', () => resolve()), ws.close()));

describe('WebSocket upgrade refusals', () => {
  const db = testDb();
  const origin = 'https://app.example.test';
  let api: RunningApi;
  let small: RunningApi;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    api = await startApi(testConfig({ SCAIWAVE_CORS_ORIGINS: origin, SCAIWAVE_WAVE_WS_MAX_PER_USER: '2' }), { port: 0 });
    small = await startApi(testConfig({ SCAIWAVE_WAVE_WS_MAX_SOCKETS: '1' }), { port: 0 });
    const t = await newTenant(db);
    alice = t.apiKey.key;
    const user = await createUser(db, { tenantId: t.tenant.id, subject: uniq('bob'), roles: ['member'] });
    bob = (await createApiKey(db, { tenantId: t.tenant.id, userId: user.id, name: 'bob' })).key;
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await small?.close();
    await db.$disconnect();
  });

  it('a bad token is refused as HTTP refuses it: same envelope fields, the request id in body and header, the same hardening headers', async () => {
    const ws = refused(await upgrade(api.url, { Authorization: 'Bearer sgk_nope' }));
    const http = await call(api.url, 'GET', '/v1/me', { token: 'sgk_nope' });
    expect(ws.status).toBe(http.status);
    expect(ws.body.error.code).toBe(http.body.error?.code);
    expect(Object.keys(ws.body).sort()).toEqual(Object.keys(http.body).sort());
    expect(ws.body.request_id).toMatch(/\S{8,}/);
    expect(ws.headers['x-request-id']).toBe(ws.body.request_id);
    expectHardened((name) => ws.headers[name] as string | undefined);
    for (const name of Object.keys(hardeningHeaders)) expect(ws.headers[name.toLowerCase()], name).toBe(http.headers.get(name));
  });

  it("a caller's own request id follows the refusal, and the accepted upgrade too", async () => {
    const id = uniq('trace-1234');
    const no = refused(await upgrade(api.url, { Authorization: 'Bearer sgk_nope', 'X-Request-Id': id }));
    expect(no.headers['x-request-id']).toBe(id);
    expect(no.body.request_id).toBe(id);
    const yes = await upgrade(api.url, { Authorization: `Bearer ${alice}`, 'X-Request-Id': id });
    if (!yes.opened) throw new Error(`refused: ${JSON.stringify(yes.body)}`);
    expect(yes.headers['x-request-id']).toBe(id);
    await closed(yes.ws);
  });

  it('a browser page from an origin outside SCAIWAVE_CORS_ORIGINS is refused with 403 even with a good token; an allowed one opens', async () => {
    const no = refused(await upgrade(api.url, { Authorization: `Bearer ${alice}`, Origin: 'https://evil.example.test' }));
    expect(no.status).toBe(403);
    expect(no.body.error.code).toBe('FORBIDDEN');
    expect(no.body.error.message).toContain('origin');
    expectHardened((name) => no.headers[name] as string | undefined);
    // Origins compare byte for byte: a case variant is another origin.
    expect(refused(await upgrade(api.url, { Authorization: `Bearer ${alice}`, Origin: origin.toUpperCase() })).status).toBe(403);
    const yes = await upgrade(api.url, { Authorization: `Bearer ${alice}`, Origin: origin });
    expect(yes.opened).toBe(true);
    if (yes.opened) await closed(yes.ws);
  });

  it("a user past their sockets is refused with 429 in the envelope while another user's socket opens; closing one frees a place", async () => {
    const first = await upgrade(api.url, { Authorization: `Bearer ${alice}` });
    const second = await upgrade(api.url, { Authorization: `Bearer ${alice}` });
    if (!first.opened || !second.opened) throw new Error('the first two sockets were refused');
    const third = refused(await upgrade(api.url, { Authorization: `Bearer ${alice}` }));
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('RATE_LIMITED');
    expect(third.headers['x-request-id']).toBe(third.body.request_id);
    const other = await upgrade(api.url, { Authorization: `Bearer ${bob}` });
    expect(other.opened).toBe(true);
    if (other.opened) await closed(other.ws);
    await closed(first.ws);
    // The server counts the close when it sees it: a new socket opens once it has.
    let again = await upgrade(api.url, { Authorization: `Bearer ${alice}` });
    while (!again.opened) {
      expect(again.status).toBe(429);
      await new Promise((r) => setTimeout(r, 50));
      again = await upgrade(api.url, { Authorization: `Bearer ${alice}` });
    }
    await closed(again.ws);
    await closed(second.ws);
  });

  it('a process holding all the sockets it may refuses one more with 503 and Retry-After, in the envelope', async () => {
    const held = await upgrade(small.url, { Authorization: `Bearer ${alice}` });
    if (!held.opened) throw new Error('the first socket was refused');
    const no = refused(await upgrade(small.url, { Authorization: `Bearer ${bob}` }));
    expect(no.status).toBe(503);
    expect(no.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(Number(no.headers['retry-after'])).toBeGreaterThan(0);
    expect(no.headers['x-request-id']).toBe(no.body.request_id);
    expectHardened((name) => no.headers[name] as string | undefined);
    await closed(held.ws);
  });
});
