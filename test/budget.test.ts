import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBudget } from '../domains/accounting/budgets.js';
import { createApiKey } from '../lib/auth/api-keys.js';
import { createUser } from '../lib/tenancy/users.js';
import { startScaiEchoStack, transcribe, waitForJob, type ScaiEchoStack } from './support/scaiecho.js';
import { runScaiwave } from './support/cli.js';
import { speak } from './support/speech.js';
import { newTenant, testDb, uniq } from './support/stack.js';

// Budgets are checked before any upstream work: an over-budget request is
// answered 402 BUDGET_EXCEEDED having touched neither S3 nor an STT backend
// (the reference node and relay count what they serve), and an async job whose
// budget ran out while it waited fails at dispatch without reaching one.

describe('usage budgets', () => {
  const db = testDb();
  let s: ScaiEchoStack;
  const hello = speak('hello there, this is a budget test');

  const served = async (): Promise<number> => {
    const stats = await Promise.all(
      [...s.nodes.map((n) => n.adminUrl), s.relay.adminUrl].map(async (u) => ((await (await fetch(`${u}/stats`)).json()) as { served: number }).served),
    );
    return stats.reduce((a, b) => a + b, 0);
  };

  beforeAll(async () => {
    s = await startScaiEchoStack({ engine: 'instant' });
  });
  afterAll(async () => {
    await s?.stop();
    await db.$disconnect();
  });

  it('over the tenant budget: 402 BUDGET_EXCEEDED, nothing stored, no backend called, sync or async', async () => {
    const t = await newTenant(db, { tier: 'pro' });
    await setBudget(db, t.tenant.id, { maxAudioMs: 500 });
    const before = await served();

    for (const fields of [{}, { force_async: 'true' }] as Record<string, string>[]) {
      const res = await transcribe(s.api.url, t.apiKey.key, hello, fields);
      expect(res.status).toBe(402);
      expect(res.body.error?.code).toBe('BUDGET_EXCEEDED');
      expect(res.body.error?.message).toMatch(/tenant's monthly budget of 0.5 s of audio for \d{4}-\d{2} would be exceeded/);
      expect(res.body.error?.details).toMatchObject({ scope: 'tenant', metric: 'audio_ms', limit: 500, used: 0 });
    }
    expect(await db.transcriptionJob.count({ where: { tenantId: t.tenant.id } })).toBe(0);
    expect(await served()).toBe(before);

    // Room for one request: it runs, and the next one is refused on the request count.
    await setBudget(db, t.tenant.id, { maxAudioMs: 600_000, maxRequests: 1 });
    expect((await transcribe(s.api.url, t.apiKey.key, hello)).status).toBe(200);
    const next = await transcribe(s.api.url, t.apiKey.key, hello);
    expect(next.status).toBe(402);
    expect(next.body.error?.details).toMatchObject({ scope: 'tenant', metric: 'requests', limit: 1, used: 1 });
    expect(await served()).toBe(before + 1);
  }, 60_000);

  it('a per-user budget stops that user only', async () => {
    const t = await newTenant(db, { tier: 'pro' });
    const other = await createUser(db, { tenantId: t.tenant.id, subject: uniq('other'), roles: ['member'] });
    const otherKey = await createApiKey(db, { tenantId: t.tenant.id, userId: other.id, name: 'other' });
    await setBudget(db, t.tenant.id, { maxRequests: 1 }, t.user.id);

    expect((await transcribe(s.api.url, t.apiKey.key, hello)).status).toBe(200);
    const refused = await transcribe(s.api.url, t.apiKey.key, hello);
    expect(refused.status).toBe(402);
    expect(refused.body.error?.details).toMatchObject({ scope: 'user', metric: 'requests' });
    for (let i = 0; i < 2; i++) expect((await transcribe(s.api.url, otherKey.key, hello)).status).toBe(200);
  }, 60_000);

  it('operators set, show and remove budgets with `scaiwave admin set-budget` and `list-tenants`', async () => {
    const t = await newTenant(db);
    const set = await runScaiwave(['admin', 'set-budget', '--tenant', t.tenant.slug, '--audio-minutes', '90', '--requests', '5000']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain(`Monthly budget of tenant "${t.tenant.slug}": 5000 req, 90 min audio`);
    const perUser = await runScaiwave(['admin', 'set-budget', '--tenant', t.tenant.slug, '--subject', t.user.scaikeySubject, '--tokens', '10', '--json']);
    expect(JSON.parse(perUser.stdout)).toMatchObject({ budget: { max_requests: null, max_tokens: 10, max_audio_ms: null } });
    expect(await db.usageBudget.findMany({ where: { tenantId: t.tenant.id }, orderBy: { userId: 'asc' } })).toMatchObject([
      { userId: '', maxRequests: 5000n, maxTokens: null, maxAudioMs: 5_400_000n },
      { userId: t.user.id, maxRequests: null, maxTokens: 10n, maxAudioMs: null },
    ]);

    const listed = JSON.parse((await runScaiwave(['admin', 'list-tenants', '--json'])).stdout) as {
      tenants: { slug: string; budget: unknown }[];
    };
    expect(listed.tenants.find((x) => x.slug === t.tenant.slug)?.budget).toEqual({ max_requests: 5000, max_tokens: null, max_audio_ms: 5_400_000 });

    const removed = await runScaiwave(['admin', 'set-budget', '--tenant', t.tenant.slug]);
    expect(removed.stdout).toContain('Removed the monthly budget');
    expect(await db.usageBudget.count({ where: { tenantId: t.tenant.id, userId: '' } })).toBe(0);
    const [noUser, badNumber] = await Promise.all([
      runScaiwave(['admin', 'set-budget', '--tenant', t.tenant.slug, '--subject', 'nobody', '--requests', '1']),
      runScaiwave(['admin', 'set-budget', '--tenant', t.tenant.slug, '--requests', 'lots']),
    ]);
    expect(noUser.code).toBe(3);
    expect(badNumber.code).toBe(2);
  }, 60_000);

  it('an async job whose budget ran out while it was queued fails at dispatch, reaching no backend', async () => {
    const t = await newTenant(db, { tier: 'pro' });
    // No worker while the job is queued, so the budget changes before the workflow's choose step.
    await s.worker.proc.stop(5000);
    const res = await transcribe(s.api.url, t.apiKey.key, hello, { force_async: 'true' });
    expect(res.status).toBe(202);
    await setBudget(db, t.tenant.id, { maxAudioMs: 1 });
    const before = await served();
    await s.startWorker();
    const done = await waitForJob(s.api.url, t.apiKey.key, res.body.data!.job_id);
    expect(done.status).toBe('failed');
    expect(done.status_reason).toMatch(/^BUDGET_EXCEEDED: /);
    expect(await served()).toBe(before);
  }, 120_000);
});
