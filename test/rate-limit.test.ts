import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { call, newTenant, testConfig, testDb, uniq, type ApiAnswer } from './support/stack.js';

const me = (api: RunningApi, token: string) => call(api.url, 'GET', '/v1/me', { token });

function expectRateLimited(res: ApiAnswer, limit: number, scope: 'key' | 'tenant'): void {
  expect(res.status).toBe(429);
  expect(res.body).toMatchObject({ success: false, error: { code: 'RATE_LIMITED' } });
  expect(res.body.request_id).toBe(res.headers.get('x-request-id'));
  expect(res.body.error?.message).toContain(`per ${scope}`);
  const retryAfter = res.headers.get('retry-after');
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  expect(res.headers.get('x-ratelimit-limit')).toBe(String(limit));
  expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
}

describe('rate limits per tenant and per key, kept in Redis', () => {
  const db = testDb();
  const apis: RunningApi[] = [];
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi(testConfig(), { port: 0 });
    apis.push(api);
  });
  afterAll(async () => {
    await Promise.allSettled(apis.map((a) => a.close()));
    await db.$disconnect();
  });

  it('refuses the 4th request in a minute on a key limited to 3, and leaves other tenants alone', async () => {
    const limited = await newTenant(db, { features: { rate_limits: { key_per_minute: 3 } } });
    const other = await newTenant(db);

    for (let i = 1; i <= 3; i++) {
      const res = await me(api, limited.apiKey.key);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBe('3');
      expect(res.headers.get('x-ratelimit-remaining')).toBe(String(3 - i));
    }
    expectRateLimited(await me(api, limited.apiKey.key), 3, 'key');

    // Meanwhile another tenant is served as usual, with its own (default) limit.
    const res = await me(api, other.apiKey.key);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit')).toBe(String(testConfig().env.SCAIWAVE_RATE_LIMIT_KEY_PER_MINUTE));

    // Still refused: a refusal does not reset the window.
    expectRateLimited(await me(api, limited.apiKey.key), 3, 'key');
  });

  it('counts a tenant limit across all keys of the tenant', async () => {
    const t = await newTenant(db, { features: { rate_limits: { tenant_per_minute: 4 } } });
    const second = await call<{ key: string }>(api.url, 'POST', '/v1/api-keys', { token: t.apiKey.key, json: { name: 'second' } });
    expect(second.status).toBe(201); // request 1 of 4
    const key2 = second.body.data!.key;

    expect((await me(api, key2)).status).toBe(200); // 2
    expect((await me(api, t.apiKey.key)).status).toBe(200); // 3
    expect((await me(api, key2)).status).toBe(200); // 4
    // Neither key has used more than 2 of its own (default) allowance; the tenant has used all 4.
    expectRateLimited(await me(api, key2), 4, 'tenant');
    expectRateLimited(await me(api, t.apiKey.key), 4, 'tenant');

    // A new key of the same tenant does not escape the tenant limit.
    const third = await call(api.url, 'POST', '/v1/api-keys', { token: t.apiKey.key, json: { name: 'third' } });
    expectRateLimited(third, 4, 'tenant');
  });

  it('shares the count between two API instances on the same Redis prefix', async () => {
    const t = await newTenant(db, { features: { rate_limits: { key_per_minute: 3 } } });
    const second = await startApi(testConfig(), { port: 0 });
    apis.push(second);
    expect(second.url).not.toBe(api.url);

    expect((await me(api, t.apiKey.key)).status).toBe(200);
    expect((await me(second, t.apiKey.key)).status).toBe(200);
    expect((await me(api, t.apiKey.key)).status).toBe(200);
    expectRateLimited(await me(second, t.apiKey.key), 3, 'key');
    expectRateLimited(await me(api, t.apiKey.key), 3, 'key');

    // Control: an instance with its own Redis prefix keeps its own count, so the
    // shared refusal above came from the shared Redis state and nowhere else.
    const elsewhere = await startApi(testConfig({ SCAIWAVE_REDIS_PREFIX: `${uniq('rl-other')}:` }), { port: 0 });
    apis.push(elsewhere);
    expect((await me(elsewhere, t.apiKey.key)).status).toBe(200);
  });
});
