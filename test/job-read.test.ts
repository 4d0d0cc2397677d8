import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { newId } from '../lib/infra/ids.js';
import type { Prisma } from '../lib/generated/prisma/client.js';
import { jobView } from '../domains/scaiecho/jobs.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { createApiKey } from '../lib/auth/api-keys.js';
import { purgeExpiredJobs } from '../domains/retention/purge.js';
import { createUser } from '../lib/tenancy/users.js';
import { call, newTenant, testConfig, testDb, uniq } from './support/stack.js';

// The poll reads its job through the mariadb driver, not Prisma (domains/scaiecho/jobs.ts,
// findCallerJob), and answers a finished job it read less than a second ago from memory
// (domains/scaiecho/finished-jobs.ts): either way exactly what the Prisma row would give,
// and only to its owner.

describe('GET /jobs/{id} read through the driver', () => {
  const db = testDb();
  let api: RunningApi;
  let owner: Provisioned;
  let other: Provisioned;

  const job = (p: Provisioned, extra: Partial<Prisma.TranscriptionJobUncheckedCreateInput> = {}) =>
    db.transcriptionJob.create({
      data: {
        id: newId(),
        tenantId: p.tenant.id,
        userId: p.user.id,
        status: 'queued',
        audioSha256: 'c'.repeat(64),
        audioBytes: 1n,
        ...extra,
      },
    });
  const get = (p: Provisioned, id: string) => call<Record<string, unknown>>(api.url, 'GET', `/v1/modules/scaiecho/jobs/${encodeURIComponent(id)}`, { token: p.apiKey.key });

  beforeAll(async () => {
    api = await startApi(testConfig(), { port: 0 });
    owner = await newTenant(db);
    other = await newTenant(db);
  });
  afterAll(async () => {
    await api?.close();
    await db.$disconnect();
  });

  it('answers byte for byte what the Prisma row gives, nulls, JSON, big sizes and millisecond times included', async () => {
    const finished = await job(owner, {
      status: 'completed',
      statusReason: null,
      isAsync: true,
      transcript: 'grüße, 世界 — "quoted" \\ back\nslash',
      segments: [{ start_ms: 0, end_ms: 1250, text: 'grüße', speaker_id: null, nested: { n: 1.5, list: [true, false] } }],
      backendPreference: 'prefer_relay',
      backendUsed: 'B',
      language: 'de-DE',
      languageDetected: 'de',
      audioBytes: 9_007_199_254_740_993n,
      audioDurationMs: 2_147_483_647,
      startedAt: new Date('2026-01-02T03:04:05.678Z'),
      completedAt: new Date('2026-01-02T03:04:06.009Z'),
    });
    const fresh = await job(owner);
    for (const made of [finished, fresh]) {
      const res = await get(owner, made.id);
      expect(res.status).toBe(200);
      const row = await db.transcriptionJob.findUniqueOrThrow({ where: { id: made.id } });
      expect(JSON.stringify(res.body.data)).toBe(JSON.stringify(jobView(row)));
    }
  });

  it("is 404 for another user's job, another tenant's job, and any id that is not byte for byte the job's", async () => {
    const mine = await job(owner, { status: 'completed' });
    const sameTenantOtherUser = await job(owner, { userId: newId() });
    const otherTenant = await job(other, { status: 'completed' });

    expect((await get(owner, mine.id)).status).toBe(200);
    for (const id of [sameTenantOtherUser.id, otherTenant.id, mine.id.toUpperCase(), `${mine.id} `, ` ${mine.id}`, mine.id.slice(0, -1)]) {
      const res = await get(owner, id);
      expect(res.status, id).toBe(404);
      expect(res.body.error?.code).toBe('NOT_FOUND');
    }
    // The other tenant's owner sees its own job, never the first tenant's.
    expect((await get(other, otherTenant.id)).status).toBe(200);
    expect((await get(other, mine.id)).status).toBe(404);
  });

  it('answers a finished job from memory to its owner only, and forgets it once purged', async () => {
    const colleague = await createUser(db, { tenantId: owner.tenant.id, subject: uniq('colleague'), email: null, displayName: null, roles: ['member'], source: 'local' });
    const colleagueKey = await createApiKey(db, { tenantId: owner.tenant.id, userId: colleague.id, name: 'colleague' });
    const asColleague = { ...owner, user: colleague, apiKey: { ...colleagueKey } } as Provisioned;
    const done = await job(owner, { status: 'completed', createdAt: new Date('2020-01-01T00:00:00.000Z') });

    const first = await get(owner, done.id);
    expect(first.status).toBe(200);
    // Now in the API's memory: the next answer is the same, and nobody else is given it.
    expect(JSON.stringify((await get(owner, done.id)).body.data)).toBe(JSON.stringify(first.body.data));
    expect((await get(asColleague, done.id)).status).toBe(404);
    expect((await get(other, done.id)).status).toBe(404);
    expect((await get(asColleague, done.id)).status).toBe(404);

    // The retention purge removes it (in the worker: no message reaches the API); the poll follows within the entry's second.
    const purged = await purgeExpiredJobs({
      db,
      s3: api.deps.s3,
      bucket: api.deps.config.env.SCAIWAVE_S3_BUCKET,
      runId: uniq('purge'),
      tenantId: owner.tenant.id,
      cutoff: new Date('2021-01-01T00:00:00.000Z'),
      heldUserIds: [],
    });
    expect(purged).toBe(1);
    let status = 200;
    for (let i = 0; i < 100 && status === 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await get(owner, done.id)).status;
    }
    expect(status).toBe(404);
  });
});
