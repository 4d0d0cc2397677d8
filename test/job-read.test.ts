import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { newId } from '../lib/infra/ids.js';
import type { Prisma } from '../lib/generated/prisma/client.js';
import { jobView } from '../lib/scaiecho/jobs.js';
import type { Provisioned } from '../lib/tenancy/provisioning.js';
import { call, newTenant, testConfig, testDb } from './support/stack.js';

// The poll reads its job through the mariadb driver, not Prisma (lib/scaiecho/jobs.ts,
// findCallerJob): it must answer exactly what the Prisma row would, and only to its owner.

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
});
