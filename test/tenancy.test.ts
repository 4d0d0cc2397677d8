import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { call, idpToken, newTenant, testConfig, testDb, uniq } from './support/stack.js';

interface Me {
  tenant_id: string;
  user_id: string;
  subject: string;
  roles: string[];
}
interface KeyCreated {
  id: string;
  key: string;
}
interface KeyListed {
  id: string;
  user_id: string;
}

describe('tenant isolation through the HTTP API', () => {
  const db = testDb();
  let api: RunningApi;
  /** Tenants A and B, each with an admin as its first user. */
  let a: Provisioned;
  let b: Provisioned;

  const createKey = async (token: string, name: string): Promise<KeyCreated> => {
    const res = await call<KeyCreated>(api.url, 'POST', '/v1/api-keys', { token, json: { name } });
    expect(res.status).toBe(201);
    return res.body.data!;
  };
  const listKeys = async (token: string): Promise<KeyListed[]> => {
    const res = await call<KeyListed[]>(api.url, 'GET', '/v1/api-keys', { token });
    expect(res.status).toBe(200);
    return res.body.data!;
  };
  const me = async (token: string) => call<Me>(api.url, 'GET', '/v1/me', { token });

  /** A member who arrives through ScaiKey (provisioned just in time) and makes a key for themself. */
  const memberOf = async (t: Provisioned): Promise<{ userId: string; key: KeyCreated }> => {
    const token = await idpToken({ sub: uniq('member'), tenant: t.tenant.slug, roles: ['member'] });
    const who = await me(token);
    expect(who.status).toBe(200);
    return { userId: who.body.data!.user_id, key: await createKey(token, 'member key') };
  };

  beforeAll(async () => {
    api = await startApi(testConfig(), { port: 0 });
    [a, b] = await Promise.all([newTenant(db, { roles: ['admin'] }), newTenant(db, { roles: ['admin'] })]);
  });
  afterAll(async () => {
    await api?.close();
    await db.$disconnect();
  });

  it("never lists another tenant's keys, even to a tenant admin", async () => {
    const bKey = await createKey(b.apiKey.key, 'b second key');
    const listed = await listKeys(a.apiKey.key);
    expect(listed.map((k) => k.id)).toContain(a.apiKey.id);
    expect(listed.map((k) => k.id)).not.toContain(b.apiKey.id);
    expect(listed.map((k) => k.id)).not.toContain(bKey.id);
    const owners = await db.apiKey.findMany({ where: { id: { in: listed.map((k) => k.id) } }, select: { tenantId: true } });
    expect(owners.every((o) => o.tenantId === a.tenant.id)).toBe(true);
    // B, asking the same question, sees its own.
    expect((await listKeys(b.apiKey.key)).map((k) => k.id)).toEqual(expect.arrayContaining([b.apiKey.id, bKey.id]));
  });

  it("answers 404 NOT_FOUND, never 403, when a tenant admin revokes another tenant's key, and the key keeps working", async () => {
    const res = await call(api.url, 'DELETE', `/v1/api-keys/${b.apiKey.id}`, { token: a.apiKey.key });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    // Indistinguishable from a key that does not exist at all.
    const none = await call(api.url, 'DELETE', `/v1/api-keys/${'0'.repeat(b.apiKey.id.length)}`, { token: a.apiKey.key });
    expect(none.status).toBe(404);
    expect(none.body.error).toEqual(res.body.error);

    expect((await db.apiKey.findUniqueOrThrow({ where: { id: b.apiKey.id } })).revokedAt).toBeNull();
    expect((await me(b.apiKey.key)).status).toBe(200);
  });

  it("answers 404 when a member revokes another member's key in the same tenant; a tenant admin may revoke it", async () => {
    const alice = await memberOf(a);
    const bob = await memberOf(a);

    // A member sees only their own keys.
    const aliceSees = (await listKeys(alice.key.key)).map((k) => k.id);
    expect(aliceSees).toContain(alice.key.id);
    expect(aliceSees).not.toContain(bob.key.id);
    expect(aliceSees).not.toContain(a.apiKey.id);

    const refused = await call(api.url, 'DELETE', `/v1/api-keys/${bob.key.id}`, { token: alice.key.key });
    expect(refused.status).toBe(404);
    expect(refused.body.error?.code).toBe('NOT_FOUND');
    expect((await me(bob.key.key)).status).toBe(200);

    // The tenant admin sees every key of the tenant and may revoke any of them.
    expect((await listKeys(a.apiKey.key)).map((k) => k.id)).toEqual(expect.arrayContaining([alice.key.id, bob.key.id]));
    const revoked = await call(api.url, 'DELETE', `/v1/api-keys/${bob.key.id}`, { token: a.apiKey.key });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ success: true, data: { id: bob.key.id, revoked: true } });
    expect((await me(bob.key.key)).status).toBe(401);
    expect((await me(alice.key.key)).status).toBe(200);
  });

  it("gives a JWT naming tenant B a user of B's own, even when its subject exists in tenant A", async () => {
    const subject = a.user.scaikeySubject;
    expect(await db.user.count({ where: { scaikeySubject: subject } })).toBe(1);

    const token = await idpToken({ sub: subject, tenant: b.tenant.slug, roles: ['member'] });
    const res = await me(token);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ tenant_id: b.tenant.id, subject, roles: ['member'] });
    expect(res.body.data!.user_id).not.toBe(a.user.id);

    const users = await db.user.findMany({ where: { scaikeySubject: subject } });
    expect(users).toHaveLength(2);
    expect(new Map(users.map((u) => [u.tenantId, u.id]))).toEqual(
      new Map([
        [a.tenant.id, a.user.id],
        [b.tenant.id, res.body.data!.user_id],
      ]),
    );

    // Tenant A's user is untouched: still A's admin, and the new identity reaches nothing of A.
    const aMe = await me(a.apiKey.key);
    expect(aMe.body.data).toMatchObject({ tenant_id: a.tenant.id, user_id: a.user.id, roles: ['admin'] });
    expect((await listKeys(token)).map((k) => k.id)).not.toContain(a.apiKey.id);
    const cross = await call(api.url, 'DELETE', `/v1/api-keys/${a.apiKey.id}`, { token });
    expect(cross.status).toBe(404);
    expect((await me(a.apiKey.key)).status).toBe(200);
  });
});
