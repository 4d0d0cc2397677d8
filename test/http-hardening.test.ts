import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { provisionTenant } from '../domains/identity/provisioning.js';
import { expectHardened } from './support/hardening.js';
import { call, idpToken, newTenant, testConfig, testDb, uniq, type ApiAnswer } from './support/stack.js';

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
    expect(allowOf(job.headers.get('allow'))).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS']);
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

describe('failed authentication, limited per client address and per credential', () => {
  const db = testDb();
  const apis: RunningApi[] = [];
  let member: Provisioned;

  /** An API of its own: its own Redis prefix (under the run's, so teardown clears it) and failure limits. */
  async function apiWith(overrides: Record<string, string>): Promise<RunningApi> {
    const prefix = `${testConfig().env.SCAIWAVE_REDIS_PREFIX}${uniq('authfail')}:`;
    const api = await startApi(testConfig({ SCAIWAVE_REDIS_PREFIX: prefix, ...overrides }), { port: 0 });
    apis.push(api);
    return api;
  }

  const me = (api: RunningApi, key: string | undefined, from?: string): Promise<ApiAnswer> =>
    call(api.url, 'GET', '/v1/me', { token: key, headers: from ? { 'X-Forwarded-For': from } : {} });
  /** Random key-shaped characters: a guess is looked up in MariaDB like a real key. */
  const keyChars = (n: number) => randomBytes(n).toString('base64').replace(/[^0-9A-Za-z]/g, '0').slice(0, n);
  const badKey = () => `sgk_${keyChars(40)}`;
  /** A guess at `key`: its prefix (what a listing shows of it), the rest wrong. */
  const guessAt = (key: string) => `${key.slice(0, 12)}${keyChars(32)}`;
  /** The names of the API's failure windows in Redis, which must not hold any of what was presented. */
  const failureWindowNames = (api: RunningApi) => api.deps.redis.keys(`${api.deps.config.env.SCAIWAVE_REDIS_PREFIX}rl:*fail:*`);
  const expectRefused = (answer: ApiAnswer, about: RegExp) => {
    expect(answer.status).toBe(429);
    expect(answer.body.error?.code).toBe('RATE_LIMITED');
    expect(answer.body.error?.message).toMatch(about);
    const retryAfter = Number(answer.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  };

  beforeAll(async () => {
    member = await newTenant(db);
  });
  afterAll(async () => {
    await Promise.allSettled(apis.map((a) => a.close()));
    await db.$disconnect();
  });

  it('refuses an address with 429 and Retry-After after its failures, but still admits a valid key from it; other addresses go on', async () => {
    const api = await apiWith({ SCAIWAVE_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '5', SCAIWAVE_TRUSTED_PROXIES: '127.0.0.1' });
    const attacker = '203.0.113.7';
    for (let i = 0; i < 5; i++) expect((await me(api, badKey(), attacker)).status).toBe(401);
    expectRefused(await me(api, badKey(), attacker), /from this address/);
    // Presenting nothing, or a key that already failed, is refused without a lookup.
    expectRefused(await me(api, undefined, attacker), /from this address/);
    const failed = badKey();
    expectRefused(await me(api, failed, attacker), /from this address/);
    expectRefused(await me(api, failed, attacker), /from this address/);
    // A key that has not failed is still looked up: someone else behind the same NAT gets in, every time.
    for (let i = 0; i < 3; i++) expect((await me(api, member.apiKey.key, attacker)).status).toBe(200);
    // A proxy appending its own hop does not hide the client behind it.
    expectRefused(await me(api, badKey(), `${attacker}, 127.0.0.1`), /from this address/);
    // Someone at another address is unaffected; successes never count.
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

  it('shares the failure counts between API pods; a valid key from a refused address is admitted and counted like any request', async () => {
    const first = await apiWith({ SCAIWAVE_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3', SCAIWAVE_TRUSTED_PROXIES: '127.0.0.1' });
    const second = await startApi(first.deps.config, { port: 0 });
    apis.push(second);
    const t = await newTenant(db, { features: { rate_limits: { key_per_minute: 10, tenant_per_minute: 10 } } });
    const attacker = '203.0.113.50';
    expect((await me(first, badKey(), attacker)).status).toBe(401);
    expect((await me(second, badKey(), attacker)).status).toBe(401);
    expect((await me(first, badKey(), attacker)).status).toBe(401);
    // The other pod never saw this address fill up: it learns it from Redis.
    expectRefused(await me(second, badKey(), attacker), /from this address/);
    expectRefused(await me(second, undefined, attacker), /from this address/);
    // Refusals consumed none of the tenant's allowance; the admitted key's requests count on both pods.
    const ok = await me(second, t.apiKey.key, attacker);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-remaining')).toBe('9');
    expect((await me(first, t.apiKey.key, attacker)).headers.get('x-ratelimit-remaining')).toBe('8');
  });

  /** Addresses far from their own limit, so only a credential's count can stop them; addresses come through the test's proxy. */
  const credentialLockout = {
    SCAIWAVE_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '5',
    SCAIWAVE_RATE_LIMIT_CREDENTIAL_FAILURES_PER_MINUTE: '3',
    SCAIWAVE_TRUSTED_PROXIES: '127.0.0.1',
  };

  it('locks a key guessed at from many addresses against the guessers, while its owner still gets in', async () => {
    const api = await apiWith(credentialLockout);
    const victim = await newTenant(db);
    const key = victim.apiKey.key;
    // Each address stays far below its own limit: only the key's count can stop them.
    for (let i = 1; i <= 3; i++) expect((await me(api, guessAt(key), `203.0.113.${i}`)).status).toBe(401);
    // A fresh address is refused on its first guess, and after it without a lookup.
    expectRefused(await me(api, guessAt(key), '203.0.113.4'), /with this credential/);
    expectRefused(await me(api, guessAt(key), '203.0.113.4'), /with this credential/);
    // An address that guessed at the key waits even with the right one: that is what makes guessing from many addresses pointless.
    expectRefused(await me(api, key, '203.0.113.1'), /with this credential/);
    // The owner, where it never failed, gets in; a second pod, which saw none of it, agrees.
    const second = await startApi(api.deps.config, { port: 0 });
    apis.push(second);
    for (const pod of [api, second]) {
      const own = await me(pod, key, '198.51.100.7');
      expect(own.status).toBe(200);
      expect(own.body.data).toMatchObject({ tenant_id: victim.tenant.id });
    }
    expectRefused(await me(second, guessAt(key), '203.0.113.5'), /with this credential/);
    // The guessing addresses are not locked out of anything else.
    expect((await me(api, member.apiKey.key, '203.0.113.1')).status).toBe(200);
    const names = await failureWindowNames(api);
    expect(names.some((n) => n.includes('rl:credfail:key:'))).toBe(true);
    expect(names.filter((n) => n.includes(key.slice(4, 12)))).toEqual([]);
  });

  it('locks a ScaiKey subject forged from many addresses against the forgers, while its user still gets in', async () => {
    const api = await apiWith(credentialLockout);
    const victim = await newTenant(db);
    const claims = { sub: victim.user.scaikeySubject, tenant: victim.tenant.slug };
    const genuine = await idpToken(claims);
    // A token's claims with a signature the IdP never made.
    const forge = (token: string) => `${token.split('.').slice(0, 2).join('.')}.${randomBytes(256).toString('base64url')}`;
    for (let i = 1; i <= 3; i++) expect((await me(api, forge(genuine), `203.0.113.${i}`)).status).toBe(401);
    expectRefused(await me(api, forge(genuine), '203.0.113.4'), /with this credential/);
    expectRefused(await me(api, forge(genuine), '203.0.113.4'), /with this credential/);
    // Forgeries for another user, from the same addresses, are that user's count.
    const other = await idpToken({ sub: uniq('other'), tenant: victim.tenant.slug });
    expect((await me(api, forge(other), '203.0.113.1')).status).toBe(401);
    // The user's token, signed by the IdP, gets in from where it never failed.
    expect((await me(api, genuine, '198.51.100.8')).status).toBe(200);
    expect((await me(api, await idpToken(claims), '198.51.100.9')).status).toBe(200);
    const names = await failureWindowNames(api);
    expect(names.some((n) => n.includes('rl:credfail:sub:'))).toBe(true);
    expect(names.filter((n) => n.includes(claims.sub))).toEqual([]);
  });
});
