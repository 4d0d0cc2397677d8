import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, listApiKeys, resolveApiKey, revokeApiKey } from '../lib/auth/api-keys.js';
import { createCallerResolver } from '../lib/auth/caller.js';
import { createJwtVerifier, type JwtVerifierOptions } from '../lib/auth/jwt-verifier.js';
import { LastUsedStamps } from '../lib/auth/last-used.js';
import { PERMISSIONS, permissionsFor } from '../lib/auth/permissions.js';
import { loadConfig } from '../lib/config.js';
import { createDb, type Db } from '../lib/infra/db.js';
import { AppError } from '../lib/errors.js';
import { applyMigrations } from '../lib/infra/migrate.js';
import { createTenant, findTenantBySlug, type Tenant } from '../lib/tenancy/tenants.js';
import { createUser, type User } from '../lib/tenancy/users.js';
import { createIdpServer } from '../devstack/idp/server.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const CLIENT_ID = 'scaiwave';
const CLIENT_SECRET = 'test-secret';

interface IdpProcess {
  url: string;
  proc: ChildProcess;
}

/** The IdP runs as its own process, as it does in the dev stack. */
async function startIdp(env: Record<string, string>): Promise<IdpProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'devstack/idp/main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, SCAIKEY_IDP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('IdP did not start within 30s')), 30_000);
    proc.once('exit', (code) => reject(new Error(`IdP exited early with code ${code}`)));
    lines.on('line', (line) => {
      const m = /^scaikey-idp listening on (\S+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  return { url, proc };
}

async function stopIdp(idp: IdpProcess | undefined): Promise<void> {
  if (!idp || idp.proc.exitCode !== null) return;
  const exited = new Promise((resolve) => idp.proc.once('exit', resolve));
  idp.proc.kill('SIGTERM');
  await exited;
}

let idp: IdpProcess;
let keysDir: string;

async function post(path: string, body: Record<string, string> | object, form = false): Promise<Response> {
  return fetch(`${idp.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body),
  });
}

async function tokenFrom(baseUrl: string, params: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${baseUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      sub: 'user-1',
      tenant: 'acme',
      roles: 'member',
      ...params,
    }).toString(),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const token = (params: Record<string, string> = {}) => tokenFrom(idp.url, params);

async function setFault(mode: 'ok' | 'fail' | 'stall'): Promise<void> {
  expect((await post('/admin/fault', { mode })).status).toBe(200);
}

async function rotate(retirePrevious = false): Promise<string> {
  const res = await post(`/admin/keys/rotate${retirePrevious ? '?retire_previous=true' : ''}`, {});
  return ((await res.json()) as { kid: string }).kid;
}

async function currentJwk(): Promise<JWK & { kid: string }> {
  const jwks = (await (await fetch(`${idp.url}/jwks`)).json()) as { keys: (JWK & { kid: string })[] };
  return jwks.keys[0]!;
}

const verifierFor = (extra: Partial<JwtVerifierOptions> = {}) =>
  createJwtVerifier({
    issuerUrl: idp.url,
    audience: CLIENT_ID,
    cacheSeconds: 600,
    cooldownSeconds: 0,
    logger: pino({ level: 'silent' }),
    ...extra,
  });

/** Resolves to the AppError the promise rejects with, failing the test if it resolves. */
async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

async function expectUnauthorized(p: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await rejection(p);
  expect(err.code).toBe('UNAUTHORIZED');
  expect(err.status).toBe(401);
  expect(err.message).toMatch(message);
}

const b64url = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
const claimsFor = (issuer: string) => ({
  iss: issuer,
  aud: CLIENT_ID,
  sub: 'user-1',
  tenant: 'acme',
  roles: ['admin'],
  iat: Math.floor(Date.now() / 1000),
  exp: Math.floor(Date.now() / 1000) + 600,
});

beforeAll(async () => {
  keysDir = await mkdtemp(join(tmpdir(), 'scaikey-idp-'));
  idp = await startIdp({ SCAIKEY_IDP_DATA_DIR: keysDir, SCAIKEY_IDP_CLIENTS: `${CLIENT_ID}:${CLIENT_SECRET},other:x` });
}, 40_000);

afterAll(async () => {
  await stopIdp(idp);
  await rm(keysDir, { recursive: true, force: true });
});

describe('reference ScaiKey IdP', () => {
  it('publishes discovery metadata and public keys only', async () => {
    const meta = (await (await fetch(`${idp.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({
      issuer: idp.url,
      jwks_uri: `${idp.url}/jwks`,
      token_endpoint: `${idp.url}/token`,
      id_token_signing_alg_values_supported: ['RS256'],
    });
    const jwk = await currentJwk();
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwk.d).toBeUndefined();
  });

  it('authenticates clients on the token endpoint', async () => {
    const bad = await post('/token', { grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: 'nope' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: 'invalid_client' });
    const basic = await fetch(`${idp.url}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ grant_type: 'client_credentials', roles: ['admin'] }),
    });
    expect(basic.status).toBe(200);
    expect(await basic.json()).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
  });
});

describe('JWT verifier', () => {
  it('accepts a good token and returns its claims', async () => {
    const claims = await verifierFor().verify(
      await token({ roles: 'admin,member', email: 'ada@example.com', name: 'Ada Lovelace' }),
    );
    expect(claims).toMatchObject({
      iss: idp.url,
      sub: 'user-1',
      aud: [CLIENT_ID],
      tenant: 'acme',
      roles: ['admin', 'member'],
      email: 'ada@example.com',
      name: 'Ada Lovelace',
    });
  });

  it('rejects alg "none"', async () => {
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claimsFor(idp.url))}.`;
    await expectUnauthorized(verifierFor().verify(unsigned), /algorithm is not accepted/);
  });

  it('rejects HS256 signed with the public key (algorithm confusion)', async () => {
    const jwk = await currentJwk();
    const pem = await exportSPKI((await importJWK(jwk, 'RS256', { extractable: true })) as CryptoKey);
    for (const secret of [pem, JSON.stringify(jwk)]) {
      const forged = await new SignJWT(claimsFor(idp.url))
        .setProtectedHeader({ alg: 'HS256', kid: jwk.kid })
        .sign(new TextEncoder().encode(secret));
      await expectUnauthorized(verifierFor().verify(forged), /algorithm is not accepted/);
    }
  });

  it('rejects a token from another issuer, even one holding the same keys', async () => {
    const impostor = await createIdpServer({
      port: 0,
      issuer: 'http://impostor.invalid',
      dataDir: keysDir,
      clients: { [CLIENT_ID]: CLIENT_SECRET },
    });
    try {
      const foreign = await tokenFrom(impostor.url);
      await expectUnauthorized(verifierFor().verify(foreign), /not issued by the configured identity provider/);
    } finally {
      await impostor.close();
    }
  });

  it('rejects a token signed by a foreign key that claims the right kid', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(claimsFor(idp.url))
      .setProtectedHeader({ alg: 'RS256', kid: (await currentJwk()).kid })
      .sign(privateKey);
    await expectUnauthorized(verifierFor().verify(forged), /signature is invalid/);
  });

  it('rejects a token with an unknown kid', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(claimsFor(idp.url))
      .setProtectedHeader({ alg: 'RS256', kid: 'no-such-key' })
      .sign(privateKey);
    await expectUnauthorized(verifierFor().verify(forged), /key the identity provider does not publish/);
  });

  it('rejects the wrong audience', async () => {
    await expectUnauthorized(verifierFor().verify(await token({ aud: 'some-other-service' })), /audience/);
  });

  it('rejects a token issued in the future beyond the clock tolerance, and accepts small skew', async () => {
    const yearAhead = await token({ clock_skew: String(366 * 86_400) });
    await expectUnauthorized(verifierFor().verify(yearAhead), /issued in the future/);
    await expectUnauthorized(verifierFor({ clockToleranceSeconds: 30 }).verify(await token({ clock_skew: '120' })), /issued in the future/);
    expect((await verifierFor({ clockToleranceSeconds: 30 }).verify(await token({ clock_skew: '10' }))).sub).toBe('user-1');
  });

  it('rejects an expired token', async () => {
    await expectUnauthorized(verifierFor().verify(await token({ expires_in: '-120' })), /expired/);
  });

  it('rejects malformed tokens without calling the IdP', async () => {
    const verifier = verifierFor({ issuerUrl: 'http://127.0.0.1:9' });
    for (const junk of ['', 'abc', 'a.b', 'not a jwt at all', `${b64url({ x: 1 }).slice(0, -2)}%.e30.sig`]) {
      await expectUnauthorized(verifier.verify(junk), /malformed/);
    }
  });

  it('follows key rotation without a restart, until old keys are retired', async () => {
    const verifier = verifierFor();
    const before = await token();
    await verifier.verify(before);

    await rotate();
    const after = await token();
    await expect(verifier.verify(after)).resolves.toMatchObject({ sub: 'user-1' });
    await expect(verifier.verify(before)).resolves.toMatchObject({ sub: 'user-1' });

    await rotate(true);
    const latest = await token();
    await expect(verifier.verify(latest)).resolves.toMatchObject({ sub: 'user-1' });
    // A verifier whose cache predates retirement would still hold the old key until
    // cacheSeconds pass; a fresh one shows what the IdP publishes now.
    await expectUnauthorized(verifierFor().verify(before), /does not publish/);
    await expectUnauthorized(verifierFor().verify(after), /does not publish/);
  });

  it('remembers a verified token only until it expires', async () => {
    const verifier = verifierFor({ verifiedTokens: 10, clockToleranceSeconds: 0 });
    const shortLived = await token({ expires_in: '2' });
    await expect(verifier.verify(shortLived)).resolves.toMatchObject({ sub: 'user-1' });
    await expect(verifier.verify(shortLived)).resolves.toMatchObject({ sub: 'user-1' });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await expectUnauthorized(verifier.verify(shortLived), /expired/);
  });

  it('forgets remembered tokens once a fetched key set no longer carries their key', async () => {
    const verifier = verifierFor({ verifiedTokens: 10, cacheSeconds: 1 });
    const before = await token();
    await verifier.verify(before);
    await rotate(true);
    // Past cacheSeconds the key set is stale, so the next call fetches it again instead of answering from memory.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await expectUnauthorized(verifier.verify(before), /does not publish/);
    await expect(verifier.verify(await token())).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('says the IdP is unreachable when it fails, logs it, and recovers', async () => {
    const good = await token();
    const logged: string[] = [];
    const verifier = verifierFor({ logger: pino({ level: 'warn' }, { write: (line: string) => logged.push(line) }) });
    await setFault('fail');
    try {
      await expectUnauthorized(verifier.verify(good), /identity provider is unreachable/);
      expect(logged.join('')).toContain('identity provider unreachable');
      expect(logged.join('')).not.toContain(good);
    } finally {
      await setFault('ok');
    }
    await expect(verifier.verify(good)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('gives up on a stalled IdP after its timeout', async () => {
    const good = await token();
    await setFault('stall');
    try {
      // The stall never ends by itself: only the verifier's own timeout can end this call.
      await expectUnauthorized(verifierFor({ timeoutMs: 300 }).verify(good), /unreachable/);
    } finally {
      await setFault('ok');
    }
  });
});

describe('permissions', () => {
  it('maps roles to permissions; admin has all, unknown roles nothing', () => {
    expect(permissionsFor(['admin'])).toEqual(new Set(PERMISSIONS));
    expect(permissionsFor(['root', 'superuser'])).toEqual(new Set());
    expect(permissionsFor(['member']).has('admin:access')).toBe(false);
    expect(permissionsFor(['member', 'compliance']).has('compliance:manage')).toBe(true);
  });
});

describe('with a scratch database', () => {
  const dbName = `scaiwave_scratch_auth_${randomBytes(6).toString('hex')}`;
  let db: Db;
  let acme: Tenant;
  let other: Tenant;
  let alice: User;
  let bob: User;

  beforeAll(async () => {
    const cfg = loadConfig({ SCAIWAVE_DB_URL: `mysql://root@127.0.0.1:3306/${dbName}`, SCAIWAVE_DB_POOL_SIZE: '4' }).db;
    await applyMigrations(cfg);
    db = createDb(cfg);
    acme = await createTenant(db, { slug: 'acme', name: 'Acme', tier: 'pro' });
    other = await createTenant(db, { slug: 'other', name: 'Other', tier: 'free' });
    alice = await createUser(db, { tenantId: acme.id, subject: 'alice', roles: ['member'] });
    bob = await createUser(db, { tenantId: other.id, subject: 'bob', roles: ['admin'] });
  }, 60_000);

  afterAll(async () => {
    if (!db) return;
    await db.$executeRawUnsafe(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await db.$disconnect();
  });

  describe('tenants and users', () => {
    it('validates slugs, refuses duplicates and stores default features', async () => {
      expect(acme.features).toEqual({ rate_limits: {} });
      expect((await rejection(createTenant(db, { slug: 'acme', name: 'Again', tier: 'free' }))).code).toBe('CONFLICT');
      expect((await rejection(createTenant(db, { slug: '-bad', name: 'Bad', tier: 'free' }))).code).toBe('VALIDATION_ERROR');
      expect(await findTenantBySlug(db, 'acme')).toMatchObject({ id: acme.id });
      expect(await findTenantBySlug(db, 'NOPE')).toBeNull();
    });

    it('refuses a second user with the same subject in a tenant, but not across tenants', async () => {
      const err = await rejection(createUser(db, { tenantId: acme.id, subject: 'alice', roles: [] }));
      expect(err.code).toBe('CONFLICT');
      await expect(createUser(db, { tenantId: other.id, subject: 'alice', roles: [] })).resolves.toMatchObject({
        tenantId: other.id,
      });
    });
  });

  describe('API keys', () => {
    it('creates a key that resolves, storing only its hash', async () => {
      const created = await createApiKey(db, { tenantId: acme.id, userId: alice.id, name: 'ci' });
      expect(created.key).toMatch(/^sgk_[0-9A-Za-z]{40}$/);
      expect(created.prefix).toBe(created.key.slice(0, 12));

      const rows = await db.$queryRawUnsafe<Record<string, unknown>[]>('SELECT * FROM api_keys WHERE id = ?', created.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.key_hash).toBe(createHash('sha256').update(created.key).digest('hex'));
      expect(JSON.stringify(rows[0])).not.toContain(created.key.slice(4));

      const resolved = await resolveApiKey(db, created.key);
      expect(resolved).toMatchObject({ apiKey: { id: created.id }, user: { id: alice.id }, tenant: { id: acme.id } });
      expect(resolved!.apiKey).not.toHaveProperty('keyHash');
      const listed = await listApiKeys(db, acme.id, alice.id);
      expect(listed.map((k) => k.id)).toContain(created.id);
      expect(listed[0]).not.toHaveProperty('keyHash');
    });

    it('resolves nothing for unknown or malformed keys', async () => {
      expect(await resolveApiKey(db, `sgk_${'A'.repeat(40)}`)).toBeNull();
      expect(await resolveApiKey(db, 'sgk_short')).toBeNull();
    });

    it('refuses to mint a key for another tenant\'s user', async () => {
      const err = await rejection(createApiKey(db, { tenantId: acme.id, userId: bob.id, name: 'sneaky' }));
      expect(err.code).toBe('NOT_FOUND');
    });

    it('stops resolving a revoked key; another tenant cannot revoke it', async () => {
      const { id, key } = await createApiKey(db, { tenantId: acme.id, userId: alice.id, name: 'to-revoke' });
      expect(await revokeApiKey(db, { tenantId: other.id, id })).toBe(false);
      expect(await resolveApiKey(db, key)).not.toBeNull();
      expect(await revokeApiKey(db, { tenantId: acme.id, id })).toBe(true);
      expect(await resolveApiKey(db, key)).toBeNull();
    });

    it('stops resolving an expired key', async () => {
      const { id, key } = await createApiKey(db, {
        tenantId: acme.id,
        userId: alice.id,
        name: 'short-lived',
        expiresAt: new Date(Date.now() + 60_000),
      });
      expect(await resolveApiKey(db, key)).not.toBeNull();
      await db.apiKey.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      expect(await resolveApiKey(db, key)).toBeNull();
    });

    it('stops resolving keys of a deactivated user or tenant', async () => {
      const carol = await createUser(db, { tenantId: acme.id, subject: 'carol', roles: ['member'] });
      const { key } = await createApiKey(db, { tenantId: acme.id, userId: carol.id, name: 'carol' });
      expect(await resolveApiKey(db, key)).not.toBeNull();
      await db.user.update({ where: { id: carol.id }, data: { status: 'deactivated', deactivatedAt: new Date() } });
      expect(await resolveApiKey(db, key)).toBeNull();

      const gone = await createTenant(db, { slug: 'gone', name: 'Gone', tier: 'free' });
      const dave = await createUser(db, { tenantId: gone.id, subject: 'dave', roles: ['member'] });
      const daves = await createApiKey(db, { tenantId: gone.id, userId: dave.id, name: 'dave' });
      await db.tenant.update({ where: { id: gone.id }, data: { status: 'suspended' } });
      expect(await resolveApiKey(db, daves.key)).toBeNull();
    });

    it('records when a key was last used, off the request path and at most once a minute', async () => {
      const { id, key } = await createApiKey(db, { tenantId: acme.id, userId: alice.id, name: 'usage' });
      const lastUsedAt = async () => (await db.apiKey.findUniqueOrThrow({ where: { id } })).lastUsedAt;
      const stamps = new LastUsedStamps(db, pino({ level: 'silent' }), 3_600_000);
      const resolver = createCallerResolver({ db, verifier: verifierFor(), authMode: 'api_key', lastUsed: stamps });
      try {
        expect(await lastUsedAt()).toBeNull();
        for (let i = 0; i < 5; i++) await resolver.resolve(`Bearer ${key}`);
        // Resolving wrote nothing: the use waits in memory for the flush.
        expect(await lastUsedAt()).toBeNull();
        await stamps.flush();
        const first = await lastUsedAt();
        expect(first).toBeInstanceOf(Date);

        // Within the minute further uses do not write again, here or from another process.
        await resolver.resolve(`Bearer ${key}`);
        await stamps.flush();
        const elsewhere = new LastUsedStamps(db, pino({ level: 'silent' }), 3_600_000);
        elsewhere.seen(id, null);
        await elsewhere.close();
        expect(await lastUsedAt()).toEqual(first);
      } finally {
        await stamps.close();
      }
    });
  });

  describe('caller resolution', () => {
    const resolverFor = (authMode: 'scaikey' | 'api_key') => createCallerResolver({ db, verifier: verifierFor(), authMode });

    it('creates a user on first sight and refreshes roles from later tokens', async () => {
      const resolver = resolverFor('scaikey');
      const first = await resolver.resolve(
        `Bearer ${await token({ sub: 'jit-user', roles: 'member', email: 'jit@example.com', name: 'Jit' })}`,
      );
      expect(first).toMatchObject({ tenantId: acme.id, tenantSlug: 'acme', subject: 'jit-user', via: 'jwt', apiKeyId: null });
      expect(first.permissions.has('models:use')).toBe(true);
      expect(first.permissions.has('admin:access')).toBe(false);
      const row = await db.user.findUniqueOrThrow({ where: { id: first.userId } });
      expect(row).toMatchObject({ email: 'jit@example.com', displayName: 'Jit', roles: ['member'] });

      const again = await resolver.resolve(`Bearer ${await token({ sub: 'jit-user', roles: 'admin' })}`);
      expect(again.userId).toBe(first.userId);
      expect(again.roles).toEqual(['admin']);
      expect(again.permissions.has('admin:access')).toBe(true);
      expect((await db.user.findUniqueOrThrow({ where: { id: first.userId } })).roles).toEqual(['admin']);
    });

    it('creates the user once when its first requests race', async () => {
      const resolver = resolverFor('scaikey');
      const jwt = await token({ sub: 'racer' });
      const callers = await Promise.all(Array.from({ length: 5 }, () => resolver.resolve(`Bearer ${jwt}`)));
      expect(new Set(callers.map((c) => c.userId)).size).toBe(1);
    });

    it('refuses a deactivated user', async () => {
      const resolver = resolverFor('scaikey');
      const { userId } = await resolver.resolve(`Bearer ${await token({ sub: 'leaver' })}`);
      await db.user.update({ where: { id: userId }, data: { status: 'deactivated', deactivatedAt: new Date() } });
      await expectUnauthorized(resolver.resolve(`Bearer ${await token({ sub: 'leaver' })}`), /deactivated/);
    });

    it('refuses unknown and inactive tenants, and tokens without one', async () => {
      const resolver = resolverFor('scaikey');
      await expectUnauthorized(resolver.resolve(`Bearer ${await token({ tenant: 'nosuch' })}`), /unknown or inactive/);
      const dormant = await createTenant(db, { slug: 'dormant', name: 'Dormant', tier: 'free' });
      await db.tenant.update({ where: { id: dormant.id }, data: { status: 'suspended' } });
      await expectUnauthorized(resolver.resolve(`Bearer ${await token({ tenant: 'dormant' })}`), /unknown or inactive/);
      await expectUnauthorized(resolver.resolve(`Bearer ${await token({ tenant: '' })}`), /no "tenant" claim/);
    });

    it('resolves API keys to their user with the stored roles', async () => {
      const { id, key } = await createApiKey(db, { tenantId: other.id, userId: bob.id, name: 'bob' });
      const caller = await resolverFor('scaikey').resolve(`Bearer ${key}`);
      expect(caller).toMatchObject({ tenantId: other.id, userId: bob.id, apiKeyId: id, via: 'api_key', roles: ['admin'] });
      expect(caller.permissions).toEqual(new Set(PERMISSIONS));
      await expectUnauthorized(resolverFor('scaikey').resolve(`Bearer sgk_${'x'.repeat(40)}`), /API key is not valid/);
    });

    it('refuses JWTs in api_key mode but still takes API keys', async () => {
      const resolver = resolverFor('api_key');
      await expectUnauthorized(resolver.resolve(`Bearer ${await token({ sub: 'alice' })}`), /only API keys/);
      const { key } = await createApiKey(db, { tenantId: acme.id, userId: alice.id, name: 'mode' });
      await expect(resolver.resolve(`Bearer ${key}`)).resolves.toMatchObject({ userId: alice.id });
    });

    it('explains what it expects when the header is missing or garbled, and takes a query token', async () => {
      const resolver = resolverFor('scaikey');
      await expectUnauthorized(resolver.resolve(undefined), /authentication required: send 'Authorization: Bearer/);
      await expectUnauthorized(resolver.resolve('Basic dXNlcjpwYXNz'), /malformed Authorization header/);
      await expectUnauthorized(resolver.resolve('Bearer'), /malformed Authorization header/);
      const { key } = await createApiKey(db, { tenantId: acme.id, userId: alice.id, name: 'ws' });
      await expect(resolver.resolve(undefined, key)).resolves.toMatchObject({ userId: alice.id, via: 'api_key' });
    });
  });
});
