import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { startIdpProcess } from '../devstack/idp/process.js';
import { freePort } from '../devstack/ports.js';
import type { ManagedProcess } from '../devstack/process.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { call, idpToken, newTenant, testConfig, testDb, uniq, type ApiAnswer } from './support/stack.js';
import { b64url, idpIssuer, idpJwks, jwtHeader, rotateIdpKeys, sha256Hex, tokenFrom } from './support/jwt.js';

interface Me {
  tenant_id: string;
  tenant_slug: string;
  user_id: string;
  subject: string;
  via: 'jwt' | 'api_key';
  api_key_id: string | null;
  roles: string[];
  permissions: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectUnauthorized(res: ApiAnswer, message?: RegExp): void {
  expect(res.status).toBe(401);
  expect(res.body).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });
  expect(res.body.request_id).toBe(res.headers.get('x-request-id'));
  if (message) expect(res.body.error?.message).toMatch(message);
}

describe('authentication through the HTTP API', () => {
  const db = testDb();
  const idpUrl = testConfig().env.SCAIWAVE_SCAIKEY_URL;
  let api: RunningApi;
  let t: Provisioned;
  let issuer: string;

  /** Claims a token for tenant t would carry, so a forged one differs only in how it is signed. */
  const goodClaims = () => ({ tenant: t.tenant.slug, roles: ['admin'], sub: t.user.scaikeySubject });

  beforeAll(async () => {
    api = await startApi(testConfig(), { port: 0 });
    t = await newTenant(db);
    issuer = await idpIssuer(idpUrl);
  });
  afterAll(async () => {
    await api?.close();
    await db.$disconnect();
  });

  it('refuses a request without Authorization with 401 UNAUTHORIZED in the envelope', async () => {
    const res = await call(api.url, 'GET', '/v1/me');
    expectUnauthorized(res, /authentication required/);
  });

  it('refuses malformed Authorization headers with 401', async () => {
    for (const header of [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      `Bearer ${t.apiKey.key} extra`,
      t.apiKey.key, // no scheme
      `Token ${t.apiKey.key}`,
    ]) {
      const res = await call(api.url, 'GET', '/v1/me', { headers: { Authorization: header } });
      expectUnauthorized(res, /malformed Authorization header/);
    }
  });

  it('answers GET /v1/me for a valid API key with its tenant and user', async () => {
    const res = await call<Me>(api.url, 'GET', '/v1/me', { token: t.apiKey.key });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data).toMatchObject({
      tenant_id: t.tenant.id,
      tenant_slug: t.tenant.slug,
      user_id: t.user.id,
      subject: t.user.scaikeySubject,
      via: 'api_key',
      api_key_id: t.apiKey.id,
      roles: ['member'],
    });
  });

  it('refuses an unknown API key', async () => {
    // Same shape as a real key, so only the lookup can refuse it.
    const unknown = `sgk_${'A'.repeat(20)}${t.apiKey.key.slice(-20)}`;
    expectUnauthorized(await call(api.url, 'GET', '/v1/me', { token: unknown }), /API key is not valid/);
    expectUnauthorized(await call(api.url, 'GET', '/v1/me', { token: 'sgk_short' }), /API key is not valid/);
  });

  it('refuses a key once it has been revoked through DELETE /v1/api-keys/:id', async () => {
    const created = await call<{ id: string; key: string }>(api.url, 'POST', '/v1/api-keys', {
      token: t.apiKey.key,
      json: { name: 'to revoke' },
    });
    expect(created.status).toBe(201);
    const { id, key } = created.body.data!;
    expect((await call(api.url, 'GET', '/v1/me', { token: key })).status).toBe(200);

    const revoked = await call(api.url, 'DELETE', `/v1/api-keys/${id}`, { token: t.apiKey.key });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ success: true, data: { id, revoked: true } });

    expectUnauthorized(await call(api.url, 'GET', '/v1/me', { token: key }), /API key is not valid/);
    expect((await db.apiKey.findUniqueOrThrow({ where: { id } })).revokedAt).not.toBeNull();
    // The caller's own key is untouched.
    expect((await call(api.url, 'GET', '/v1/me', { token: t.apiKey.key })).status).toBe(200);
  });

  it('refuses a key after its expiry', async () => {
    const expiresAt = new Date(Date.now() + 1500);
    const created = await call<{ id: string; key: string }>(api.url, 'POST', '/v1/api-keys', {
      token: t.apiKey.key,
      json: { name: 'short-lived', expires_at: expiresAt.toISOString() },
    });
    expect(created.status).toBe(201);
    const { key } = created.body.data!;
    expect((await call(api.url, 'GET', '/v1/me', { token: key })).status).toBe(200);
    await sleep(expiresAt.getTime() - Date.now() + 300);
    expectUnauthorized(await call(api.url, 'GET', '/v1/me', { token: key }), /API key is not valid/);
  });

  it('hands out a new key exactly once: POST returns it, GET /v1/api-keys never shows it or its hash', async () => {
    const created = await call<{ id: string; key: string; prefix: string; name: string }>(api.url, 'POST', '/v1/api-keys', {
      token: t.apiKey.key,
      json: { name: 'ci deploy' },
    });
    expect(created.status).toBe(201);
    const { id, key, prefix, name } = created.body.data!;
    expect(key).toMatch(/^sgk_[0-9A-Za-z]{40}$/);
    expect(key.startsWith(prefix)).toBe(true);
    expect(name).toBe('ci deploy');

    // Stored hashed, never in clear.
    const row = await db.apiKey.findUniqueOrThrow({ where: { id } });
    expect(row.keyHash).toBe(sha256Hex(key));
    expect(JSON.stringify(row)).not.toContain(key);

    const res = await fetch(`${api.url}/v1/api-keys`, { headers: { Authorization: `Bearer ${t.apiKey.key}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    const listed = (JSON.parse(text) as { data: Record<string, unknown>[] }).data;
    expect(listed.map((k) => k.id)).toContain(id);
    expect(text).not.toContain(key);
    expect(text).not.toContain(row.keyHash);
    expect(text).not.toMatch(/key_?hash/i);
    for (const k of listed) expect(Object.keys(k)).not.toContain('key');

    // The key it handed out works.
    expect((await call<Me>(api.url, 'GET', '/v1/me', { token: key })).body.data?.api_key_id).toBe(id);
  });

  it('accepts a ScaiKey JWT and provisions its user just in time', async () => {
    const sub = uniq('jit');
    const where = { tenantId_scaikeySubject: { tenantId: t.tenant.id, scaikeySubject: sub } };
    expect(await db.user.findUnique({ where })).toBeNull();

    const token = await idpToken({ sub, tenant: t.tenant.slug, roles: ['member'], email: `${sub}@example.test` });
    const res = await call<Me>(api.url, 'GET', '/v1/me', { token });
    expect(res.status).toBe(200);
    const user = await db.user.findUnique({ where });
    expect(user).not.toBeNull();
    expect(user!.email).toBe(`${sub}@example.test`);
    expect(res.body.data).toMatchObject({
      tenant_id: t.tenant.id,
      tenant_slug: t.tenant.slug,
      user_id: user!.id,
      subject: sub,
      via: 'jwt',
      api_key_id: null,
      roles: ['member'],
    });

    // A second request is the same user, not a second one.
    const again = await call<Me>(api.url, 'GET', '/v1/me', { token });
    expect(again.body.data?.user_id).toBe(user!.id);
    expect(await db.user.count({ where: { tenantId: t.tenant.id, scaikeySubject: sub } })).toBe(1);
  });

  it('refuses an expired JWT', async () => {
    const token = await idpToken({ sub: uniq('late'), tenant: t.tenant.slug, expires_in: -300 });
    expectUnauthorized(await call(api.url, 'GET', '/v1/me', { token }), /expired/);
  });

  it('refuses a JWT minted for another audience', async () => {
    const token = await idpToken({ sub: uniq('aud'), tenant: t.tenant.slug, aud: 'some-other-service' });
    expectUnauthorized(await call(api.url, 'GET', '/v1/me', { token }), /audience/);
  });

  it('refuses an alg "none" token', async () => {
    const [kid] = (await idpJwks(idpUrl)).map((k) => k.kid);
    const now = Math.floor(Date.now() / 1000);
    const payload = { ...goodClaims(), iss: issuer, aud: 'scaiwave', iat: now, exp: now + 600 };
    for (const alg of ['none', 'None', 'NONE']) {
      const token = `${b64url({ alg, typ: 'JWT', kid })}.${b64url(payload)}.`;
      expectUnauthorized(await call(api.url, 'GET', '/v1/me', { token }), /algorithm is not accepted/);
    }
  });

  it('refuses an HS256 token keyed with the IdP public key material (algorithm confusion)', async () => {
    const jwk = (await idpJwks(idpUrl))[0]!;
    const pem = await exportSPKI((await importJWK(jwk, 'RS256', { extractable: true })) as CryptoKey);
    const secrets = [new TextEncoder().encode(pem), new TextEncoder().encode(JSON.stringify(jwk)), Buffer.from(jwk.n!, 'base64url')];
    for (const secret of secrets) {
      const token = await new SignJWT(goodClaims())
        .setProtectedHeader({ alg: 'HS256', kid: jwk.kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience('scaiwave')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(secret);
      expectUnauthorized(await call(api.url, 'GET', '/v1/me', { token }), /algorithm is not accepted/);
    }
  });

  it('refuses a token signed by a key the IdP does not publish (unknown kid)', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT(goodClaims())
      .setProtectedHeader({ alg: 'RS256', kid: 'kid-nobody-published', typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience('scaiwave')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);
    expectUnauthorized(await call(api.url, 'GET', '/v1/me', { token }), /does not publish/);
  });

  it('forbids a member GET /v1/admin/usage with 403 FORBIDDEN naming the missing permission', async () => {
    const res = await call(api.url, 'GET', '/v1/admin/usage', { token: t.apiKey.key });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ success: false, error: { code: 'FORBIDDEN' } });
    expect(res.body.error?.message).toContain('admin:access');
    // The same refusal for a member who comes with a ScaiKey token.
    const token = await idpToken({ sub: uniq('member'), tenant: t.tenant.slug, roles: ['member'] });
    const viaJwt = await call(api.url, 'GET', '/v1/admin/usage', { token });
    expect(viaJwt.status).toBe(403);
    expect(viaJwt.body.error?.message).toContain('admin:access');
  });
});

/**
 * Two IdP processes of our own sharing one signing-key file: "ours" (the API
 * trusts it) and a "foreign" one at another address, so a foreign token carries a
 * kid and signature the API can verify and only its issuer is wrong. Key rotation
 * happens here too, away from the run's shared IdP.
 */
describe('issuer checks and key rotation', () => {
  const db = testDb();
  const procs: ManagedProcess[] = [];
  let keysDir: string;
  let ours: string;
  let foreign: string;
  let api: RunningApi;
  let t: Provisioned;

  beforeAll(async () => {
    const logDir = process.env.SCAIWAVE_TEST_LOG_DIR ?? os.tmpdir();
    keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-idp-keys-'));
    const a = await startIdpProcess({ port: await freePort(), logDir, dataDir: keysDir });
    procs.push(a.process);
    const b = await startIdpProcess({ port: await freePort(), logDir, dataDir: keysDir });
    procs.push(b.process);
    ours = a.url;
    foreign = b.url;
    api = await startApi(testConfig({ SCAIWAVE_SCAIKEY_URL: ours }), { port: 0 });
    t = await newTenant(db);
  });
  afterAll(async () => {
    await api?.close();
    await Promise.allSettled(procs.map((p) => p.stop(5000)));
    await db.$disconnect();
    fs.rmSync(keysDir, { recursive: true, force: true });
  });

  it('refuses a token from a foreign issuer even when its signature verifies', async () => {
    // Precondition: the foreign IdP really signs with a key ours publishes.
    const token = await tokenFrom(foreign, { sub: uniq('foreign'), tenant: t.tenant.slug });
    expect((await idpJwks(ours)).map((k) => k.kid)).toContain(jwtHeader(token).kid);
    expect(await idpIssuer(foreign)).not.toBe(await idpIssuer(ours));

    expectUnauthorized(await call(api.url, 'GET', '/v1/me', { token }), /not issued by the configured identity provider/);
    // The same claims from our own IdP pass, so only the issuer made the difference.
    const mine = await tokenFrom(ours, { sub: uniq('ours'), tenant: t.tenant.slug });
    expect((await call(api.url, 'GET', '/v1/me', { token: mine })).status).toBe(200);
  });

  it('keeps accepting tokens after the IdP rotates its signing key, without a restart', async () => {
    const sub = uniq('rot');
    const before = await tokenFrom(ours, { sub, tenant: t.tenant.slug });
    expect((await call(api.url, 'GET', '/v1/me', { token: before })).status).toBe(200);

    const newKid = await rotateIdpKeys(ours);
    expect(newKid).not.toBe(jwtHeader(before).kid);
    const after = await tokenFrom(ours, { sub, tenant: t.tenant.slug });
    expect(jwtHeader(after).kid).toBe(newKid);

    // Tokens signed with the previous key stay valid while the IdP still publishes it.
    expect((await call(api.url, 'GET', '/v1/me', { token: before })).status).toBe(200);

    // The IdP signs with the new key at once. The API refetches its key set for an
    // unknown kid at most once per cooldown (5 s, counted from its last fetch, which
    // was moments ago), so new tokens may be refused for a few seconds, then pass.
    const deadline = Date.now() + 30_000;
    let res = await call<Me>(api.url, 'GET', '/v1/me', { token: after });
    while (res.status !== 200 && Date.now() < deadline) {
      expectUnauthorized(res);
      await sleep(1000);
      res = await call<Me>(api.url, 'GET', '/v1/me', { token: after });
    }
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ tenant_id: t.tenant.id, subject: sub, via: 'jwt' });
  });
});

describe('SCAIWAVE_AUTH_MODE=api_key', () => {
  const db = testDb();
  let api: RunningApi;
  let t: Provisioned;

  beforeAll(async () => {
    api = await startApi(testConfig({ SCAIWAVE_AUTH_MODE: 'api_key' }), { port: 0 });
    t = await newTenant(db);
  });
  afterAll(async () => {
    await api?.close();
    await db.$disconnect();
  });

  it('refuses ScaiKey tokens but accepts API keys', async () => {
    const token = await idpToken({ sub: t.user.scaikeySubject, tenant: t.tenant.slug });
    expectUnauthorized(await call(api.url, 'GET', '/v1/me', { token }), /only API keys/);
    const res = await call<Me>(api.url, 'GET', '/v1/me', { token: t.apiKey.key });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ tenant_id: t.tenant.id, user_id: t.user.id, via: 'api_key' });
  });
});
