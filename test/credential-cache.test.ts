import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../api/server.js';
import type { Caller } from '../lib/auth/caller-identity.js';
import { CredentialCache, type CredentialChange } from '../lib/auth/credential-cache.js';
import { parseCredentialChange, publishCredentialChange } from '../lib/auth/credential-changes.js';
import { call, idpToken, newTenant, testConfig, testDb, type ApiAnswer } from './support/stack.js';
import { startApiProcess, type ApiProcess } from './support/processes.js';

// Two API processes sharing one Redis, each caching resolved credentials for
// half an hour: whatever makes a credential stop working on B within this test
// can only be the change announced over Redis, never the cache expiring. Each
// case first changes the row silently (no announcement) and sees B still answer
// from its cache, then announces and waits for B to refuse.

const config = testConfig();
const db = testDb();
const prefix = config.env.SCAIWAVE_REDIS_PREFIX;
const LONG = { SCAIWAVE_AUTH_CACHE_SECONDS: '1800', SCAIWAVE_API_KEY_LAST_USED_FLUSH_SECONDS: '1' };
let a: ApiProcess;
let b: ApiProcess;
let redis: Redis;

interface Me {
  user_id: string;
  roles: string[];
}

const me = (api: { url: string }, token: string) => call<Me>(api.url, 'GET', '/v1/me', { token });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks until `done` holds, a bounded number of times; returns the last answer. */
async function until<T>(ask: () => Promise<T>, done: (answer: T) => boolean, tries = 200): Promise<T> {
  let answer = await ask();
  for (let i = 1; i < tries && !done(answer); i++) {
    await pause(25);
    answer = await ask();
  }
  return answer;
}

const refused = (res: ApiAnswer) => res.status === 401;

async function listening(api: ApiProcess): Promise<boolean> {
  const metrics = await (await fetch(`${api.url}/metrics`)).text();
  return /^scaiwave_credential_cache_listening\{[^}]*\} 1$/m.test(metrics);
}

/** B's subscriber connection, found by the name it gives itself. */
async function subscriberId(pid: number): Promise<string | undefined> {
  const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
  const line = list.split('\n').find((l) => l.includes(` name=scaiwave-credential-changes-${pid} `));
  return /(?:^|\s)id=(\d+)/.exec(line ?? '')?.[1];
}

const announce = (change: CredentialChange) => publishCredentialChange(redis, prefix, change);

beforeAll(async () => {
  redis = new Redis(config.env.SCAIWAVE_REDIS_URL);
  [a, b] = await Promise.all([startApiProcess(LONG), startApiProcess(LONG)]);
  for (const api of [a, b]) expect(await until(() => listening(api), Boolean)).toBe(true);
});

afterAll(async () => {
  await Promise.all([a?.proc.stop(5000), b?.proc.stop(5000)]);
  redis?.disconnect();
  await db.$disconnect();
});

describe('credential cache across API processes', () => {
  it('a key revoked through process A is refused on process B, which had it cached', async () => {
    const t = await newTenant(db, { roles: ['admin'] });
    const created = await call<{ id: string; key: string }>(a.url, 'POST', '/v1/api-keys', {
      token: t.apiKey.key,
      json: { name: 'used on B' },
    });
    expect(created.status).toBe(201);
    const { id, key } = created.body.data!;
    expect((await me(b, key)).status).toBe(200);

    // Revoked behind B's back: B still answers from its cache.
    await db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
    expect((await me(b, key)).status).toBe(200);

    const revoked = await call(a.url, 'DELETE', `/v1/api-keys/${id}`, { token: t.apiKey.key });
    expect(revoked.status).toBe(200);
    const after = await until(() => me(b, key), refused);
    expect(after.status).toBe(401);
    expect(after.body.error?.message).toMatch(/API key is not valid/);
    // Only that key: the admin's own key still works on B.
    expect((await me(b, t.apiKey.key)).status).toBe(200);
  });

  it("a deactivated user's key and token are refused on B once the change is announced", async () => {
    const t = await newTenant(db);
    const token = await idpToken({ sub: t.user.scaikeySubject, tenant: t.tenant.slug, roles: ['member'] });
    expect((await me(b, t.apiKey.key)).status).toBe(200);
    expect((await me(b, token)).status).toBe(200);

    await db.user.update({ where: { id: t.user.id }, data: { status: 'deactivated', deactivatedAt: new Date() } });
    expect((await me(b, t.apiKey.key)).status).toBe(200);
    expect((await me(b, token)).status).toBe(200);

    await announce({ kind: 'user', tenantId: t.tenant.id, userId: t.user.id });
    expect((await until(() => me(b, t.apiKey.key), refused)).status).toBe(401);
    expect((await until(() => me(b, token), refused)).body.error?.message).toMatch(/deactivated/);
  });

  it("a suspended tenant's keys and tokens are refused on B once the change is announced", async () => {
    const t = await newTenant(db);
    const token = await idpToken({ sub: t.user.scaikeySubject, tenant: t.tenant.slug, roles: ['member'] });
    expect((await me(b, t.apiKey.key)).status).toBe(200);
    expect((await me(b, token)).status).toBe(200);

    await db.tenant.update({ where: { id: t.tenant.id }, data: { status: 'suspended' } });
    expect((await me(b, t.apiKey.key)).status).toBe(200);

    await announce({ kind: 'tenant', tenantId: t.tenant.id });
    expect((await until(() => me(b, t.apiKey.key), refused)).status).toBe(401);
    expect((await until(() => me(b, token), refused)).body.error?.message).toMatch(/unknown or inactive/);
  });

  it('roles a token brings on A reach the same user\'s API key cached on B', async () => {
    const t = await newTenant(db, { roles: ['member'] });
    expect((await me(b, t.apiKey.key)).body.data?.roles).toEqual(['member']);

    const admin = await idpToken({ sub: t.user.scaikeySubject, tenant: t.tenant.slug, roles: ['admin'] });
    expect((await me(a, admin)).body.data?.roles).toEqual(['admin']);
    const after = await until(() => me(b, t.apiKey.key), (res) => res.body.data?.roles?.[0] === 'admin');
    expect(after.body.data?.roles).toEqual(['admin']);
  });

  it('a cached token whose roles changed still updates the user, on the process that cached it', async () => {
    const t = await newTenant(db, { roles: ['member'] });
    const sub = t.user.scaikeySubject;
    const member = await idpToken({ sub, tenant: t.tenant.slug, roles: ['member'] });
    expect((await me(b, member)).body.data?.roles).toEqual(['member']);
    expect((await me(b, member)).body.data?.roles).toEqual(['member']);

    const compliance = await idpToken({ sub, tenant: t.tenant.slug, roles: ['member', 'compliance'] });
    expect((await me(b, compliance)).body.data?.roles).toEqual(['member', 'compliance']);
    expect((await db.user.findUniqueOrThrow({ where: { id: t.user.id } })).roles).toEqual(['member', 'compliance']);
  });

  it('a token that repeats a role is served from the cache, not rewritten on every request', async () => {
    const t = await newTenant(db, { roles: ['member'] });
    const token = await idpToken({ sub: t.user.scaikeySubject, tenant: t.tenant.slug, roles: ['member', 'member'] });
    expect((await me(b, token)).body.data?.roles).toEqual(['member']);
    // Changed behind B's back: a second request that went to MariaDB would be refused.
    await db.user.update({ where: { id: t.user.id }, data: { status: 'deactivated', deactivatedAt: new Date() } });
    expect((await me(b, token)).status).toBe(200);
  });

  it('B empties its cache when its subscription drops, so a change it could not hear is not served', async () => {
    const t = await newTenant(db);
    expect((await me(b, t.apiKey.key)).status).toBe(200);
    await db.apiKey.update({ where: { id: t.apiKey.id }, data: { revokedAt: new Date() } });
    expect((await me(b, t.apiKey.key)).status).toBe(200);

    // The revocation is never announced; only the lost connection tells B.
    const id = await subscriberId(b.pid);
    expect(id).toBeDefined();
    await redis.call('CLIENT', 'KILL', 'ID', id!);
    expect((await until(() => me(b, t.apiKey.key), refused)).status).toBe(401);

    // Back on the channel, B caches again.
    expect(await until(() => listening(b), Boolean)).toBe(true);
    const fresh = await newTenant(db);
    expect((await me(b, fresh.apiKey.key)).status).toBe(200);
    await db.apiKey.update({ where: { id: fresh.apiKey.id }, data: { revokedAt: new Date() } });
    expect((await me(b, fresh.apiKey.key)).status).toBe(200);
  });
});

describe("API keys' last_used_at", () => {
  it('is written off the request path: no request writes it, the next flush does', async () => {
    const api = await startApi(testConfig({ SCAIWAVE_AUTH_CACHE_SECONDS: '1800', SCAIWAVE_API_KEY_LAST_USED_FLUSH_SECONDS: '3600' }), {
      port: 0,
    });
    const t = await newTenant(db);
    try {
      for (let i = 0; i < 20; i++) expect((await me(api, t.apiKey.key)).status).toBe(200);
      expect((await db.apiKey.findUniqueOrThrow({ where: { id: t.apiKey.id } })).lastUsedAt).toBeNull();
    } finally {
      await api.close(); // flushes what it noted
    }
    expect((await db.apiKey.findUniqueOrThrow({ where: { id: t.apiKey.id } })).lastUsedAt).toBeInstanceOf(Date);
  });

  it('lands on its own from a running process', async () => {
    const t = await newTenant(db);
    expect((await me(a, t.apiKey.key)).status).toBe(200);
    const row = await until(
      () => db.apiKey.findUniqueOrThrow({ where: { id: t.apiKey.id } }),
      (k) => k.lastUsedAt !== null,
      400,
    );
    expect(row.lastUsedAt).toBeInstanceOf(Date);
  });
});

describe('the cache itself', () => {
  const caller = (tenantId: string, userId: string, apiKeyId: string | null): Caller => ({
    tenantId,
    tenantSlug: tenantId,
    userId,
    subject: userId,
    source: 'scaikey',
    apiKeyId,
    via: apiKeyId ? 'api_key' : 'jwt',
    roles: [],
    permissions: new Set(),
  });
  let clock = 0;
  const cacheOf = (maxEntries = 10) => {
    const cache = new CredentialCache({ ttlMs: 1000, maxEntries, now: () => clock });
    cache.listening(true);
    return cache;
  };

  it('serves nothing until it listens, and forgets everything when it stops', () => {
    const cache = new CredentialCache({ ttlMs: 1000, maxEntries: 10, now: () => clock });
    cache.set('k:1', { caller: caller('t', 'u', 'k') }, cache.generation);
    expect(cache.get('k:1')).toBeUndefined();
    cache.listening(true);
    cache.set('k:1', { caller: caller('t', 'u', 'k') }, cache.generation);
    expect(cache.get('k:1')).toBeDefined();
    cache.listening(false);
    expect(cache.get('k:1')).toBeUndefined();
    cache.listening(true);
    expect(cache.get('k:1')).toBeUndefined();
  });

  it('refuses to store what was read before a change arrived', () => {
    const cache = cacheOf();
    const before = cache.generation;
    cache.drop({ kind: 'api_key', tenantId: 't', apiKeyId: 'other' });
    cache.set('k:1', { caller: caller('t', 'u', 'k') }, before);
    expect(cache.get('k:1')).toBeUndefined();
  });

  it('drops exactly what a change names', () => {
    const cache = cacheOf();
    const put = (key: string, c: Caller) => cache.set(key, { caller: c }, cache.generation);
    put('k:a', caller('t1', 'u1', 'a'));
    put('k:b', caller('t1', 'u1', 'b'));
    put('j:u1', caller('t1', 'u1', null));
    put('k:c', caller('t1', 'u2', 'c'));
    put('k:d', caller('t2', 'u3', 'd'));
    cache.drop({ kind: 'api_key', tenantId: 't1', apiKeyId: 'a' });
    expect(['k:a', 'k:b', 'j:u1', 'k:c', 'k:d'].map((k) => cache.get(k) !== undefined)).toEqual([false, true, true, true, true]);
    cache.drop({ kind: 'user', tenantId: 't1', userId: 'u1' });
    expect(['k:b', 'j:u1', 'k:c', 'k:d'].map((k) => cache.get(k) !== undefined)).toEqual([false, false, true, true]);
    cache.drop({ kind: 'tenant', tenantId: 't1' });
    expect(['k:c', 'k:d'].map((k) => cache.get(k) !== undefined)).toEqual([false, true]);
  });

  it('holds at most maxEntries, oldest out first, and nothing past its TTL', () => {
    clock = 0;
    const cache = cacheOf(2);
    for (const k of ['1', '2', '3']) cache.set(`k:${k}`, { caller: caller('t', 'u', k) }, cache.generation);
    expect(cache.size).toBe(2);
    expect(cache.get('k:1')).toBeUndefined();
    expect(cache.get('k:3')).toBeDefined();
    clock = 1000;
    expect(cache.get('k:3')).toBeUndefined();
  });

  it('reads only well-formed messages', () => {
    expect(parseCredentialChange('{"kind":"tenant","tenantId":"t"}')).toEqual({ kind: 'tenant', tenantId: 't' });
    expect(parseCredentialChange('{"kind":"api_key","tenantId":"t"}')).toBeNull();
    expect(parseCredentialChange('{"kind":"user","userId":"u"}')).toBeNull();
    expect(parseCredentialChange('not json')).toBeNull();
  });
});
