import { createConnection } from 'mariadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { AppError } from '../lib/errors.js';
import { newId } from '../lib/infra/ids.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { createUser } from '../lib/tenancy/users.js';
import { runScaiwave } from './support/cli.js';
import { call, idpToken, newTenant, testConfig, testDb } from './support/stack.js';

// Subjects and ids are opaque bytes: two that differ in case, accents, a
// trailing space or a NUL are two different things (issue 8, defect 1).

interface Me {
  user_id: string;
  subject: string;
  roles: string[];
  permissions: string[];
}

const MEMBER_PERMISSIONS = ['models:use', 'scaiecho:use', 'wave:use'];

describe('identifiers compare byte for byte', () => {
  const db = testDb();
  let api: RunningApi;
  let t: Provisioned;
  /** A member who arrived through ScaiKey, with an API key and a job of her own. */
  const alice = { subject: 'alice-member', userId: '', key: '', jobId: '', speakerId: '' };

  const me = (token: string) => call<Me>(api.url, 'GET', '/v1/me', { token });
  const job = (token: string, id: string) => call(api.url, 'GET', `/v1/modules/scaiecho/jobs/${id}`, { token });

  beforeAll(async () => {
    api = await startApi(testConfig(), { port: 0 });
    t = await newTenant(db, { roles: ['admin'] });
    const token = await idpToken({ sub: alice.subject, tenant: t.tenant.slug, roles: ['member'] });
    const who = await me(token);
    expect(who.status).toBe(200);
    alice.userId = who.body.data!.user_id;
    const key = await call<{ key: string }>(api.url, 'POST', '/v1/api-keys', { token, json: { name: 'alice key' } });
    expect(key.status).toBe(201);
    alice.key = key.body.data!.key;
    alice.jobId = newId();
    await db.transcriptionJob.create({
      data: {
        id: alice.jobId,
        tenantId: t.tenant.id,
        userId: alice.userId,
        status: 'queued',
        isAsync: true,
        audioSha256: '0'.repeat(64),
        audioBytes: 12n,
      },
    });
    alice.speakerId = newId();
    await db.speakerProfile.create({
      data: { id: alice.speakerId, tenantId: t.tenant.id, createdByUserId: alice.userId, displayName: 'Alice' },
    });
    expect((await job(alice.key, alice.jobId)).status).toBe(200);
  });
  afterAll(async () => {
    await api?.close();
    await db.$disconnect();
  });

  describe.each([
    ['upper-cased', 'ALICE-MEMBER'],
    ['with a trailing space', 'alice-member '],
    ['with an accent', 'álice-member'],
  ])('a ScaiKey subject equal to alice-member but %s', (_, sub) => {
    it("is another user: it cannot read alice's job, and its roles do not become alice's", async () => {
      const token = await idpToken({ sub, tenant: t.tenant.slug, roles: ['admin'] });
      const who = await me(token);
      expect(who.status).toBe(200);
      expect(who.body.data!.user_id).not.toBe(alice.userId);
      expect(who.body.data!.subject).toBe(sub);

      const read = await job(token, alice.jobId);
      expect(read.status).toBe(404);
      expect(read.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });

      // Alice's key still does exactly what a member's does: no admin:access from the other token's claim.
      const hers = await me(alice.key);
      expect(hers.status).toBe(200);
      expect(hers.body.data).toMatchObject({ user_id: alice.userId, subject: alice.subject, roles: ['member'] });
      expect(hers.body.data!.permissions).toEqual(MEMBER_PERMISSIONS);
      expect((await job(alice.key, alice.jobId)).status).toBe(200);
    });
  });

  describe.each([
    ['with %20 appended', (id: string) => `${id}%20`],
    ['with %00 appended', (id: string) => `${id}%00`],
    ['upper-cased', (id: string) => id.toUpperCase()],
  ])('an id in the URL %s', (_, variant) => {
    it('finds no job to read or cancel', async () => {
      const id = variant(alice.jobId);
      const read = await job(alice.key, id);
      expect(read.status).toBe(404);
      expect(read.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
      const cancel = await call(api.url, 'POST', `/v1/modules/scaiecho/jobs/${id}/cancel`, { token: alice.key });
      expect(cancel.status).toBe(404);
      expect((await db.transcriptionJob.findUniqueOrThrow({ where: { id: alice.jobId } })).status).toBe('queued');
    });

    it('finds no speaker and no API key', async () => {
      expect((await call(api.url, 'GET', `/v1/modules/scaiecho/speakers/${variant(alice.speakerId)}`, { token: alice.key })).status).toBe(404);
      const spare = await call<{ id: string; key: string }>(api.url, 'POST', '/v1/api-keys', {
        token: alice.key,
        json: { name: 'spare' },
      });
      expect(spare.status).toBe(201);
      const revoke = await call(api.url, 'DELETE', `/v1/api-keys/${variant(spare.body.data!.id)}`, { token: alice.key });
      expect(revoke.status).toBe(404);
      expect((await me(spare.body.data!.key)).status).toBe(200);
    });
  });

  describe('a subject with a control character', () => {
    it.each([
      ['NUL appended', 'alice-member\u0000'],
      ['NUL inside', 'ali\u0000ce'],
      ['a newline', 'alice\nmember'],
      ['an escape sequence', 'alice\u001b[2J'],
      ['DEL', 'alice\u007f'],
      ['a C1 control', 'alice\u0085'],
    ])('(%s) in a token is refused with 401 and creates no user', async (_, sub) => {
      const before = await db.user.count({ where: { tenantId: t.tenant.id } });
      const token = await idpToken({ sub, tenant: t.tenant.slug, roles: ['admin'] });
      const res = await me(token);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });
      expect(res.body.error!.message).toContain('"sub"');
      expect(await db.user.count({ where: { tenantId: t.tenant.id } })).toBe(before);
      expect((await me(alice.key)).body.data!.roles).toEqual(['member']);
    });

    it('is refused by createUser, and by the CLI with a usage error', async () => {
      for (const subject of ['bob\u0000', 'bob\u001b', '\ud800bob']) {
        const attempt = createUser(db, { tenantId: t.tenant.id, subject, roles: ['member'] });
        await expect(attempt).rejects.toThrow(AppError);
        await expect(attempt).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      }
      const run = await runScaiwave(['admin', 'create-user', '--tenant', t.tenant.slug, '--subject', 'carol\u001b[2J']);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain('control characters');
      expect(await db.user.count({ where: { tenantId: t.tenant.id, scaikeySubject: { startsWith: 'bob' } } })).toBe(0);
      expect(await db.user.count({ where: { tenantId: t.tenant.id, scaikeySubject: { startsWith: 'carol' } } })).toBe(0);
    });
  });

  it('every text column of the database, and every default for new ones, is NO PAD binary', async () => {
    const { db: cfg } = testConfig();
    const conn = await createConnection({ host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password });
    try {
      const columns = (await conn.query(
        `SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME, ' ', COLUMN_TYPE, ' ', COLLATION_NAME) AS col
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND COLLATION_NAME IS NOT NULL ORDER BY col`,
        [cfg.database],
      )) as { col: string }[];
      const tables = (await conn.query(
        `SELECT CONCAT(TABLE_NAME, ' ', TABLE_COLLATION) AS tbl FROM information_schema.TABLES
         WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY tbl`,
        [cfg.database],
      )) as { tbl: string }[];
      const [schema] = (await conn.query(
        'SELECT DEFAULT_COLLATION_NAME AS collation FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
        [cfg.database],
      )) as { collation: string }[];

      // A migration that creates a table or column without COLLATE utf8mb4_nopad_bin (Prisma's
      // output says utf8mb4_unicode_ci) shows up here by name. utf8mb4_bin will not do either:
      // it pads with spaces, so 'a' = 'a ' under it.
      expect(columns.length).toBeGreaterThan(50);
      expect(columns.map((c) => c.col).filter((c) => !c.endsWith(' utf8mb4_nopad_bin'))).toEqual([]);
      expect(tables.map((r) => r.tbl).filter((r) => !r.endsWith(' utf8mb4_nopad_bin'))).toEqual([]);
      expect(schema?.collation).toBe('utf8mb4_nopad_bin');

      // And the collation does what its name says, on this server.
      const [probe] = (await conn.query(
        `SELECT _utf8mb4'a' COLLATE utf8mb4_nopad_bin = _utf8mb4'a ' AS space,
                _utf8mb4'a' COLLATE utf8mb4_nopad_bin = _utf8mb4'A' AS upper,
                _utf8mb4'a' COLLATE utf8mb4_nopad_bin = CONCAT(_utf8mb4'a', CHAR(0 USING utf8mb4)) AS nul`,
      )) as Record<string, number | bigint>[];
      expect(Object.values(probe!).map(Number)).toEqual([0, 0, 0]);
    } finally {
      await conn.end();
    }
  });
});
