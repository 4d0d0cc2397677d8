import net from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../devstack/ports.js';
import { startApi, type RunningApi } from '../api/server.js';
import { call, newTenant, testConfig, testDb } from './support/stack.js';
import type { Provisioned } from '../domains/identity/provisioning.js';

describe('envelope, request id, bodies, metrics', () => {
  const db = testDb();
  let api: RunningApi;
  let t: Provisioned;

  beforeAll(async () => {
    api = await startApi(testConfig({ SCAIWAVE_MAX_JSON_BODY_BYTES: '2048' }), { port: 0 });
    t = await newTenant(db);
  });
  afterAll(async () => {
    await api.close();
    await db.$disconnect();
  });

  it('answers success in the envelope and carries a generated request id', async () => {
    const res = await call<{ tenant_id: string }>(api.url, 'GET', '/v1/me', { token: t.apiKey.key });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data?.tenant_id).toBe(t.tenant.id);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('echoes a well-formed caller request id, replaces a malformed one', async () => {
    const mine = 'client-req-12345678';
    const echoed = await call(api.url, 'GET', '/v1/me', { token: t.apiKey.key, headers: { 'X-Request-Id': mine } });
    expect(echoed.headers.get('x-request-id')).toBe(mine);
    const replaced = await call(api.url, 'GET', '/v1/me', { token: t.apiKey.key, headers: { 'X-Request-Id': 'bad id with spaces and $$$' } });
    expect(replaced.headers.get('x-request-id')).not.toContain('bad');
  });

  it('puts errors in the envelope with code, message and the same request id as the header', async () => {
    const res = await call(api.url, 'GET', '/no/such/route');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    expect(res.body.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('rejects malformed JSON with 400 INVALID_JSON and writes nothing', async () => {
    const before = await db.apiKey.count({ where: { tenantId: t.tenant.id } });
    const res = await call(api.url, 'POST', '/v1/api-keys', {
      token: t.apiKey.key,
      body: '{"name": "x",',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('INVALID_JSON');
    expect(await db.apiKey.count({ where: { tenantId: t.tenant.id } })).toBe(before);
  });

  it('rejects an oversized body with 413 PAYLOAD_TOO_LARGE, declared or streamed', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(5000) });
    const declared = await call(api.url, 'POST', '/v1/api-keys', { token: t.apiKey.key, body: big, headers: { 'Content-Type': 'application/json' } });
    expect(declared.status).toBe(413);
    expect(declared.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
    const chunked = await fetch(`${api.url}/v1/api-keys`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${t.apiKey.key}`, 'Content-Type': 'application/json' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('rejects a body that is not JSON with 415', async () => {
    const res = await call(api.url, 'POST', '/v1/api-keys', { token: t.apiKey.key, body: 'name=x', headers: { 'Content-Type': 'text/plain' } });
    expect(res.status).toBe(415);
    expect(res.body.error?.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('names each invalid field in a 400 VALIDATION_ERROR', async () => {
    const res = await call(api.url, 'POST', '/v1/api-keys', { token: t.apiKey.key, json: { name: '', expires_at: 'tomorrow' } });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('VALIDATION_ERROR');
    expect(res.body.error?.message).toMatch(/name/);
    expect(res.body.error?.message).toMatch(/expires_at/);
  });

  it('serves Prometheus counts and latency by route template and status', async () => {
    await call(api.url, 'GET', '/v1/me', { token: t.apiKey.key });
    const text = await (await fetch(`${api.url}/metrics`)).text();
    expect(text).toMatch(/scaiwave_http_requests_total\{[^}]*method="GET"[^}]*route="\/v1\/me"[^}]*status="200"[^}]*\} [1-9]/);
    expect(text).toMatch(/scaiwave_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/me"/);
  });

  it('counts a client that hangs up before its JSON body is read as 499, never as a 5xx or a bad body', async () => {
    const { hostname, port } = new URL(api.url);
    const body = JSON.stringify({ name: 'never finished' });
    for (let i = 0; i < 10; i++) {
      const socket = net.connect(Number(port), hostname);
      await once(socket, 'connect');
      socket.write(
        `POST /v1/api-keys HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${t.apiKey.key}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
      );
      // Alternately at once (before the body is read) and after the API began reading it.
      if (i % 2 === 1) await new Promise((r) => setTimeout(r, 200));
      socket.destroy();
    }
    const counts = async (): Promise<string[]> =>
      ((await (await fetch(`${api.url}/metrics`)).text()).match(/scaiwave_http_requests_total\{[^}]*method="POST"[^}]*route="\/v1\/api-keys"[^}]*\} \d+/g) ?? []);
    // All ten as 499 (the other tests here send this route only 201s and 4xx of their own).
    await waitUntil('the hang-ups counted', async () => (await counts()).some((l) => /status="499"[^}]*\} 10$/.test(l)));
    expect((await counts()).filter((l) => /status="5\d\d"/.test(l))).toEqual([]);
  });

  it('records mutating requests in the audit log, refused ones too', async () => {
    const created = await call<{ id: string }>(api.url, 'POST', '/v1/api-keys', { token: t.apiKey.key, json: { name: 'audited' } });
    expect(created.status).toBe(201);
    const denied = await call(api.url, 'POST', '/v1/api-keys', { token: 'sgk_not_a_key', json: { name: 'x' } });
    expect(denied.status).toBe(401);
    const rows = await db.auditLog.findMany({
      where: { requestId: { in: [created.headers.get('x-request-id')!, denied.headers.get('x-request-id')!] } },
    });
    expect(rows.map((r) => [r.status, r.tenantId, r.route]).sort()).toEqual(
      [
        [201, t.tenant.id, '/v1/api-keys'],
        [401, null, '/v1/api-keys'],
      ].sort(),
    );
  });
});
