import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import type { Provisioned } from '../lib/tenancy/provisioning.js';
import { provisionTenant } from '../lib/tenancy/provisioning.js';
import { expectHardened } from './support/hardening.js';
import { call, newTenant, testConfig, testDb, uniq, type ApiAnswer } from './support/stack.js';

// Issue 8, defects 4, 5, 6 and 8: what an outside probe found at the HTTP edge.

/** fetch() refuses TRACE and CONNECT, so methods are sent with node:http. */
function raw(url: string, method: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const allowOf = (h: string | null | undefined) => (h ?? '').split(',').map((m) => m.trim()).sort();

describe('the HTTP edge', () => {
  const db = testDb();
  const platformSlug = uniq('ops');
  const origin = 'https://app.example.test';
  let api: RunningApi;
  let member: Provisioned;

  beforeAll(async () => {
    api = await startApi(testConfig({ SCAIWAVE_PLATFORM_TENANT: platformSlug, SCAIWAVE_CORS_ORIGINS: origin }), { port: 0 });
    member = await newTenant(db);
  });
  afterAll(async () => {
    await api?.close();
    await db.$disconnect();
  });

  it('listens on loopback unless SCAIWAVE_HOST says otherwise', () => {
    expect(testConfig().env.SCAIWAVE_HOST).toBe('127.0.0.1');
    expect((api.server.address() as AddressInfo).address).toBe('127.0.0.1');
  });

  it('answers a method a path does not take with 405 and Allow, before asking who is calling', async () => {
    for (const method of ['PATCH', 'PUT', 'DELETE', 'POST', 'TRACE']) {
      const res = await raw(api.url, method, '/v1/me');
      expect(res.status, method).toBe(405);
      expect(allowOf(res.headers.allow)).toEqual(['GET', 'HEAD', 'OPTIONS']);
      expect(JSON.parse(res.body)).toMatchObject({ success: false, error: { code: 'METHOD_NOT_ALLOWED' } });
    }
    const jobs = await call(api.url, 'DELETE', '/v1/modules/scaiecho/jobs', { token: member.apiKey.key });
    expect(jobs.status).toBe(405);
    expect(allowOf(jobs.headers.get('allow'))).toEqual(['GET', 'HEAD', 'OPTIONS']);
    const job = await call(api.url, 'PUT', `/v1/modules/scaiecho/jobs/${uniq('job')}`);
    expect(job.status).toBe(405);
    expect(allowOf(job.headers.get('allow'))).toEqual(['GET', 'HEAD', 'OPTIONS']);
    const keys = await call(api.url, 'PATCH', '/v1/api-keys');
    expect(allowOf(keys.headers.get('allow'))).toEqual(['GET', 'HEAD', 'OPTIONS', 'POST']);
    expect((await call(api.url, 'POST', '/health')).status).toBe(405);
    expect((await call(api.url, 'PUT', '/v1/admin/nodes')).status).toBe(405);
    expect((await call(api.url, 'GET', '/v1/internal/nodes/heartbeat')).status).toBe(405);
    // A path nobody serves stays 404.
    expect((await call(api.url, 'PATCH', '/v1/nothing-here')).status).toBe(404);
  });

  it('answers OPTIONS with 204 and Allow, and a CORS preflight from an allowed origin as CORS says', async () => {
    const plain = await raw(api.url, 'OPTIONS', '/v1/modules/scaiecho/transcribe');
    expect(plain.status).toBe(204);
    expect(allowOf(plain.headers.allow)).toEqual(['OPTIONS', 'POST']);
    const preflight = await raw(api.url, 'OPTIONS', '/v1/me', { Origin: origin, 'Access-Control-Request-Method': 'GET' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(origin);
    expect(preflight.headers['access-control-allow-methods']).toContain('GET');
  });

  it('sends hardening headers on every answer, errors included; a new API key is never cached', async () => {
    for (const answer of [
      await call(api.url, 'GET', '/health'),
      await call(api.url, 'GET', '/v1/me'),
      await call(api.url, 'GET', '/v1/me', { token: member.apiKey.key }),
      await call(api.url, 'GET', '/v1/no-such-route'),
    ]) {
      expectHardened((name) => answer.headers.get(name));
    }
    const created = await call<{ key: string }>(api.url, 'POST', '/v1/api-keys', { token: member.apiKey.key, json: { name: 'ci' } });
    expect(created.status).toBe(201);
    expect(created.body.data?.key).toMatch(/^sgk_/);
    expectHardened((name) => created.headers.get(name));
  });

  describe('the cluster belongs to platform operators, not to tenant admins', () => {
    const serviceToken = testConfig().env.SCAIWAVE_SERVICE_TOKEN!;
    const nodeId = uniq('stt-node');
    const asService = { token: serviceToken };
    const online = async () =>
      (await call<{ node_id: string }[]>(api.url, 'GET', '/v1/admin/nodes?engine_kind=stt', asService)).body.data!.map((n) => n.node_id);

    beforeAll(async () => {
      const hb = await call(api.url, 'POST', '/v1/internal/nodes/heartbeat', {
        token: serviceToken,
        json: { node_id: nodeId, address: '10.1.2.3:50051', engine_kinds: ['stt'] },
      });
      expect(hb.status).toBe(200);
    });

    it("refuses a tenant's admin the node list and node removal, showing no internal address", async () => {
      const admin = await newTenant(db, { roles: ['admin'] });
      const list = await call(api.url, 'GET', '/v1/admin/nodes', { token: admin.apiKey.key });
      expect(list.status).toBe(403);
      expect(JSON.stringify(list.body)).not.toContain('10.1.2.3');
      const removal = await call(api.url, 'DELETE', `/v1/admin/nodes/${nodeId}`, { token: admin.apiKey.key });
      expect(removal.status).toBe(403);
      expect(await online()).toContain(nodeId);
    });

    it("refuses a tenant's admin the cluster's system check, which shows workers' hosts", async () => {
      const admin = await newTenant(db, { roles: ['admin'] });
      const res = await call(api.url, 'POST', '/v1/admin/system-check', { token: admin.apiKey.key });
      expect(res.status).toBe(403);
      expect(res.body.error?.message).toContain('platform:operate');
      // The tenant's own administration is still its admin's.
      expect((await call(api.url, 'GET', '/v1/admin/usage', { token: admin.apiKey.key })).status).toBe(200);
    });

    it("grants nothing cluster-wide to a platform-operator role outside the platform tenant", async () => {
      const pretender = await newTenant(db, { roles: ['admin', 'platform-operator'] });
      expect((await call(api.url, 'GET', '/v1/admin/nodes', { token: pretender.apiKey.key })).status).toBe(403);
      expect((await call(api.url, 'DELETE', `/v1/admin/nodes/${nodeId}`, { token: pretender.apiKey.key })).status).toBe(403);
      expect(await online()).toContain(nodeId);
    });

    it('lets a platform operator list nodes and remove a known one; an unknown node is 404', async () => {
      const ops = await provisionTenant(db, {
        slug: platformSlug,
        name: 'Platform operations',
        tier: 'enterprise',
        subject: uniq('operator'),
        roles: ['platform-operator'],
      });
      const me = await call<{ permissions: string[] }>(api.url, 'GET', '/v1/me', { token: ops.apiKey.key });
      expect(me.body.data?.permissions).toEqual(['platform:operate']);
      const list = await call<{ node_id: string; address: string }[]>(api.url, 'GET', '/v1/admin/nodes', { token: ops.apiKey.key });
      expect(list.status).toBe(200);
      expect(list.body.data?.find((n) => n.node_id === nodeId)?.address).toBe('10.1.2.3:50051');

      const unknown = await call(api.url, 'DELETE', `/v1/admin/nodes/${uniq('never-registered')}`, { token: ops.apiKey.key });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error?.code).toBe('NOT_FOUND');

      const removed = await call<{ node_id: string; removed_at: string }>(api.url, 'DELETE', `/v1/admin/nodes/${nodeId}`, {
        token: ops.apiKey.key,
      });
      expect(removed.status).toBe(200);
      expect(await online()).not.toContain(nodeId);
      // Removing it again is the same removal, with the same time.
      const again = await call<{ removed_at: string }>(api.url, 'DELETE', `/v1/admin/nodes/${nodeId}`, asService);
      expect(again.status).toBe(200);
      expect(again.body.data?.removed_at).toBe(removed.body.data?.removed_at);
    });
  });
});

describe('failed authentication, limited per client address', () => {
  const db = testDb();
  const apis: RunningApi[] = [];
  let member: Provisioned;

  /** An API of its own: its own Redis prefix (under the run's, so teardown clears it) and failure limit. */
  async function apiWith(overrides: Record<string, string>): Promise<RunningApi> {
    const prefix = `${testConfig().env.SCAIWAVE_REDIS_PREFIX}${uniq('authfail')}:`;
    const api = await startApi(testConfig({ SCAIWAVE_REDIS_PREFIX: prefix, ...overrides }), { port: 0 });
    apis.push(api);
    return api;
  }

  const me = (api: RunningApi, key: string, from?: string): Promise<ApiAnswer> =>
    call(api.url, 'GET', '/v1/me', { token: key, headers: from ? { 'X-Forwarded-For': from } : {} });
  const badKey = () => `sgk_${uniq('guess').replace(/-/g, '')}${'x'.repeat(24)}`;

  beforeAll(async () => {
    member = await newTenant(db);
  });
  afterAll(async () => {
    await Promise.allSettled(apis.map((a) => a.close()));
    await db.$disconnect();
  });

  it('refuses an address with 429 and Retry-After after its failures, whatever it presents next; other addresses go on', async () => {
    const api = await apiWith({ SCAIWAVE_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '5', SCAIWAVE_TRUSTED_PROXIES: '127.0.0.1' });
    const attacker = '203.0.113.7';
    for (let i = 0; i < 5; i++) expect((await me(api, badKey(), attacker)).status).toBe(401);
    const refused = await me(api, badKey(), attacker);
    expect(refused.status).toBe(429);
    expect(refused.body.error?.code).toBe('RATE_LIMITED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Even a good key from that address waits: the address is what is limited.
    expect((await me(api, member.apiKey.key, attacker)).status).toBe(429);
    // A proxy appending its own hop does not hide the client behind it.
    expect((await me(api, badKey(), `${attacker}, 127.0.0.1`)).status).toBe(429);
    // Someone else behind the same proxy is unaffected; successes never count.
    for (let i = 0; i < 8; i++) expect((await me(api, member.apiKey.key, '198.51.100.20')).status).toBe(200);
    expect((await me(api, badKey(), '198.51.100.20')).status).toBe(401);
  });

  it('ignores X-Forwarded-For from a client that is not a trusted proxy, so forging it escapes nothing', async () => {
    const api = await apiWith({ SCAIWAVE_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '5' });
    for (let i = 0; i < 5; i++) expect((await me(api, badKey(), `192.0.2.${i + 1}`)).status).toBe(401);
    expect((await me(api, badKey(), '192.0.2.99')).status).toBe(429);
  });

  it('counts failed service-token presentations the same way', async () => {
    const api = await apiWith({ SCAIWAVE_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3', SCAIWAVE_TRUSTED_PROXIES: '127.0.0.1' });
    const from = { 'X-Forwarded-For': '203.0.113.99' };
    const heartbeat = () =>
      call(api.url, 'POST', '/v1/internal/nodes/heartbeat', {
        token: 'not-the-service-token',
        headers: from,
        json: { node_id: 'n', address: 'h:1', engine_kinds: ['stt'] },
      });
    for (let i = 0; i < 3; i++) expect((await heartbeat()).status).toBe(401);
    expect((await heartbeat()).status).toBe(429);
  });

  it('shares the failure count between API pods, and a refused address uses none of its key\'s or tenant\'s allowance', async () => {
    const first = await apiWith({ SCAIWAVE_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3', SCAIWAVE_TRUSTED_PROXIES: '127.0.0.1' });
    const second = await startApi(first.deps.config, { port: 0 });
    apis.push(second);
    const t = await newTenant(db, { features: { rate_limits: { key_per_minute: 10, tenant_per_minute: 10 } } });
    const attacker = '203.0.113.50';
    expect((await me(first, badKey(), attacker)).status).toBe(401);
    expect((await me(second, badKey(), attacker)).status).toBe(401);
    expect((await me(first, badKey(), attacker)).status).toBe(401);
    // The other pod never saw this address refused: it learns it from Redis, a good key or not.
    for (let i = 0; i < 4; i++) expect((await me(second, t.apiKey.key, attacker)).status).toBe(429);
    expect((await me(first, t.apiKey.key, attacker)).status).toBe(429);
    // None of those five consumed a request: the key's first success elsewhere still has 9 left.
    const ok = await me(first, t.apiKey.key, '198.51.100.50');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-remaining')).toBe('9');
  });
});
