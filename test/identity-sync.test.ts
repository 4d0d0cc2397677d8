import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { createApiKey } from '../lib/auth/api-keys.js';
import { placeholderUser } from '../domains/export/import-users.js';
import { createUser } from '../lib/tenancy/users.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { createTemporalClient } from '../lib/temporal/client.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import { identitySyncAllWorkflow } from '../domains/identity/workflows.js';
import { runScaiwave } from './support/cli.js';
import { captureHistory } from './support/histories.js';
import { startWorkerProcess, type WorkerProcess } from './support/processes.js';
import { call, idpToken, newTenant, testConfig, testDb, uniq } from './support/stack.js';

// Identity sync against the run's reference ScaiKey, whose SCIM directory each
// test changes per tenant. Runs go through `scaiwave sync` as an operator runs
// it, and a worker process that pages the directory two users at a time.

const config = testConfig();
const db = testDb();
const idp = config.env.SCAIWAVE_SCAIKEY_URL;
const queue = uniq('identity');
const env = {
  SCAIWAVE_TEMPORAL_TASK_QUEUE: queue,
  SCAIWAVE_SCAIKEY_CLIENT_SECRET: 'scaiwave-dev-secret',
  SCAIWAVE_IDENTITY_SYNC_PAGE_SIZE: '2',
};
let worker: WorkerProcess;
let api: RunningApi;

interface DirUser {
  displayName?: string;
  email?: string;
  active?: boolean;
  groups?: string[];
}

async function idpAdmin(method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${idp}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`IdP ${method} ${path}: ${res.status} ${await res.text()}`);
}
const putUser = (slug: string, id: string, u: DirUser) => idpAdmin('PUT', `/admin/tenants/${slug}/users/${encodeURIComponent(id)}`, u);
const putUsers = (slug: string, users: (DirUser & { id: string })[]) => idpAdmin('POST', `/admin/tenants/${slug}/users`, { users });
const removeUser = (slug: string, id: string) => idpAdmin('DELETE', `/admin/tenants/${slug}/users/${encodeURIComponent(id)}`);
const scimFault = (slug: string, mode: 'ok' | 'fail' | 'truncate' | 'slow') => idpAdmin('POST', `/admin/tenants/${slug}/scim-fault`, { mode });

interface SyncedTenant {
  status: string;
  reason: string | null;
  added: number;
  updated: number;
  deactivated: number;
  failed: number;
  skipped_local: number;
  idp_users: number | null;
}

async function sync(slug: string): Promise<{ code: number | null; result: SyncedTenant; stderr: string }> {
  const run = await runScaiwave(['sync', '--tenant', slug, '--json', '--timeout', '120'], env);
  const parsed = JSON.parse(run.stdout || '{"tenants":[]}') as { tenants: SyncedTenant[] };
  if (parsed.tenants.length !== 1) throw new Error(`scaiwave sync printed no result (exit ${run.code}):\n${run.stderr}`);
  return { code: run.code, result: parsed.tenants[0]!, stderr: run.stderr };
}

const userOf = (tenantId: string, subject: string) =>
  db.user.findUniqueOrThrow({ where: { tenantId_scaikeySubject: { tenantId, scaikeySubject: subject } } });

const me = (token: string) => call(api.url, 'GET', '/v1/me', { token });

beforeAll(async () => {
  [worker, api] = await Promise.all([startWorkerProcess(env), startApi(config, { port: 0 })]);
});
afterAll(async () => {
  await worker?.proc.stop(5000);
  await api?.close();
  await db.$disconnect();
});

describe('identity sync from ScaiKey (SCIM)', () => {
  it('adds, updates and deactivates as the directory changes; never deletes; counts every run', async () => {
    const t = await newTenant(db, { roles: ['admin'] });
    const slug = t.tenant.slug;
    const admin = t.user.scaikeySubject;
    await putUser(slug, admin, { displayName: 'The Admin', groups: ['admin'] });
    await putUser(slug, 'alice', { displayName: 'Alice', email: 'alice@example.test', groups: ['member'] });
    await putUser(slug, 'bob', { displayName: 'Bob', groups: ['member'] });
    await putUser(slug, 'carol', { displayName: 'Carol', groups: ['member', 'compliance'] });
    await putUser(slug, 'dave', { groups: ['member'] });
    await putUser(slug, 'erin', { active: false, groups: ['member'] });

    const first = await sync(slug);
    expect(first.code, first.stderr).toBe(0);
    // Four new active users; the admin's display name arrives; erin is inactive in ScaiKey and not taken over.
    expect(first.result).toMatchObject({ status: 'completed', added: 4, updated: 1, deactivated: 0, failed: 0, idp_users: 6 });
    expect(await userOf(t.tenant.id, 'carol')).toMatchObject({ status: 'active', displayName: 'Carol', roles: ['compliance', 'member'] });
    expect(await userOf(t.tenant.id, 'alice')).toMatchObject({ email: 'alice@example.test', roles: ['member'] });
    expect(await db.user.count({ where: { tenantId: t.tenant.id, scaikeySubject: 'erin' } })).toBe(0);

    // Carol and dave hold credentials that must stop working once ScaiKey drops them.
    const carol = await userOf(t.tenant.id, 'carol');
    const carolKey = await createApiKey(db, { tenantId: t.tenant.id, userId: carol.id, name: 'carol laptop' });
    const daveJwt = await idpToken({ sub: 'dave', tenant: slug });
    expect((await me(carolKey.key)).status).toBe(200);
    expect((await me(daveJwt)).status).toBe(200);

    await putUser(slug, 'bob', { displayName: 'Robert', groups: ['admin'] });
    await removeUser(slug, 'carol');
    await putUser(slug, 'dave', { active: false, groups: ['member'] });
    const second = await sync(slug);
    expect(second.code, second.stderr).toBe(0);
    expect(second.result).toMatchObject({ status: 'completed', added: 0, updated: 1, deactivated: 2, failed: 0 });
    expect(await userOf(t.tenant.id, 'bob')).toMatchObject({ displayName: 'Robert', roles: ['admin'], status: 'active' });
    expect(await userOf(t.tenant.id, 'carol')).toMatchObject({ status: 'deactivated', displayName: 'Carol' });
    expect((await userOf(t.tenant.id, 'carol')).deactivatedAt).toBeInstanceOf(Date);
    expect((await db.apiKey.findUniqueOrThrow({ where: { id: carolKey.id } })).revokedAt).toBeInstanceOf(Date);
    expect((await me(carolKey.key)).status).toBe(401);
    expect((await me(daveJwt)).status).toBe(401);
    expect((await me(t.apiKey.key)).status).toBe(200);

    // Carol is back in ScaiKey: active again, but her revoked key stays revoked.
    await putUser(slug, 'carol', { displayName: 'Carol', groups: ['member'] });
    const third = await sync(slug);
    expect(third.result).toMatchObject({ status: 'completed', added: 0, updated: 1, deactivated: 0 });
    expect(await userOf(t.tenant.id, 'carol')).toMatchObject({ status: 'active', deactivatedAt: null, roles: ['member'] });
    expect((await me(carolKey.key)).status).toBe(401);

    // Nothing changed: a run that changes nothing says so.
    expect((await sync(slug)).result).toMatchObject({ status: 'completed', added: 0, updated: 0, deactivated: 0 });

    const runs = await db.identitySyncRun.findMany({ where: { tenantId: t.tenant.id }, orderBy: { startedAt: 'asc' } });
    expect(runs.map((r) => [r.triggeredBy, r.status, r.added, r.updated, r.deactivated, r.failed])).toEqual([
      ['cli', 'completed', 4, 1, 0, 0],
      ['cli', 'completed', 0, 1, 2, 0],
      ['cli', 'completed', 0, 1, 0, 0],
      ['cli', 'completed', 0, 0, 0, 0],
    ]);
    expect(runs.every((r) => r.workflowId === workflowIds.identitySync(t.tenant.id) && r.finishedAt !== null)).toBe(true);
    expect(await db.user.count({ where: { tenantId: t.tenant.id } })).toBe(5);
    const { client, close: closeTemporal } = createTemporalClient(config);
    try {
      await captureHistory('identitySyncWorkflow--completed', client.workflow.getHandle(workflowIds.identitySync(t.tenant.id)));
    } finally {
      await closeTemporal();
    }
  }, 180_000);

  async function syncedTenant(users: number): Promise<Provisioned> {
    const t = await newTenant(db);
    await putUser(t.tenant.slug, t.user.scaikeySubject, { groups: ['member'] });
    for (let i = 1; i < users; i++) await putUser(t.tenant.slug, `user-${i}`, { groups: ['member'] });
    const first = await sync(t.tenant.slug);
    expect(first.result).toMatchObject({ status: 'completed', added: users - 1 });
    return t;
  }

  const active = (tenantId: string) => db.user.count({ where: { tenantId, status: 'active' } });

  it('a truncated listing or a failing ScaiKey deactivates nobody; the run says why and the CLI exits 5', async () => {
    const t = await syncedTenant(5);
    const slug = t.tenant.slug;
    await removeUser(slug, 'user-4');

    await scimFault(slug, 'truncate');
    const truncated = await sync(slug);
    expect(truncated.code).toBe(5);
    expect(truncated.result).toMatchObject({ status: 'guarded', added: 0, updated: 0, deactivated: 0, idp_users: null });
    expect(truncated.result.reason).toMatch(/truncated Users listing: ScaiKey reported 4 but sent 2/);
    expect(truncated.stderr).toMatch(/identity sync incomplete for 1 of 1 tenant/);
    expect(await active(t.tenant.id)).toBe(5);

    await scimFault(slug, 'fail');
    const failing = await sync(slug);
    expect(failing.code).toBe(5);
    expect(failing.result).toMatchObject({ status: 'failed', deactivated: 0 });
    expect(failing.result.reason).toMatch(/IDP_UNAVAILABLE: ScaiKey answered 503/);
    expect(await active(t.tenant.id)).toBe(5);

    await scimFault(slug, 'ok');
    const healthy = await sync(slug);
    expect(healthy.code).toBe(0);
    expect(healthy.result).toMatchObject({ status: 'completed', deactivated: 1 });
    expect(await active(t.tenant.id)).toBe(4);
    const statuses = (await db.identitySyncRun.findMany({ where: { tenantId: t.tenant.id }, orderBy: { startedAt: 'asc' } })).map(
      (r) => r.status,
    );
    expect(statuses).toEqual(['completed', 'guarded', 'failed', 'completed']);
  }, 180_000);

  it('far fewer active users in ScaiKey than known here: nobody is deactivated', async () => {
    const t = await syncedTenant(10);
    for (let i = 4; i < 10; i++) await removeUser(t.tenant.slug, `user-${i}`);
    const run = await sync(t.tenant.slug);
    expect(run.code).toBe(5);
    expect(run.result).toMatchObject({ status: 'guarded', deactivated: 0, idp_users: 4 });
    expect(run.result.reason).toMatch(/ScaiKey lists 4 active users, fewer than 50% of the 10 known active here: nobody was deactivated \(6 would have been\)/);
    expect(await active(t.tenant.id)).toBe(10);
  }, 120_000);

  it('the scheduled run syncs every active tenant, each in its own workflow', async () => {
    const t = await newTenant(db);
    await putUser(t.tenant.slug, t.user.scaikeySubject, { groups: ['member'] });
    await putUser(t.tenant.slug, 'scheduled-user', { groups: ['member'] });
    const { client, close: closeTemporal } = createTemporalClient(config);
    try {
      const handle = await client.workflow.start(identitySyncAllWorkflow, { taskQueue: queue, workflowId: uniq('wave-identity-sync-all-test') });
      const summary = await handle.result();
      expect(summary.tenants).toBeGreaterThanOrEqual(1);
      expect(summary.completed + summary.guarded + summary.failed + summary.skipped).toBe(summary.tenants);
      await captureHistory('identitySyncAllWorkflow--completed', handle);
    } finally {
      await closeTemporal();
    }
    const run = await db.identitySyncRun.findFirstOrThrow({ where: { tenantId: t.tenant.id } });
    expect(run).toMatchObject({ triggeredBy: 'schedule', status: 'completed', added: 1 });
    expect(await userOf(t.tenant.id, 'scheduled-user')).toMatchObject({ status: 'active', roles: ['member'] });
  }, 180_000);
});

describe('identity sync leaves local users alone (issue 8, defect 7)', () => {
  /** A tenant as `npm start` and `scaiwave admin` leave it: a local admin with an API key, local service and CLI users. */
  async function tenantWithLocals() {
    const t = await newTenant(db, { roles: ['admin'], source: 'local' });
    const services = ['svc-transcriber', 'svc-export'];
    for (const subject of services) await createUser(db, { tenantId: t.tenant.id, subject, roles: ['member'], displayName: subject });
    const cli = await runScaiwave(['admin', 'create-user', '--tenant', t.tenant.slug, '--subject', 'ops-cli', '--roles', 'compliance', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ user: { subject: 'ops-cli', source: 'local' } });
    return { t, locals: [t.user.scaikeySubject, ...services, 'ops-cli'] };
  }

  it('a directory large enough to pass the guard deactivates no local user; absent scaikey users still go', async () => {
    const { t, locals } = await tenantWithLocals();
    const slug = t.tenant.slug;
    await putUsers(slug, [
      { id: 'alice', groups: ['member'] },
      { id: 'carol', groups: ['member'] },
    ]);
    expect((await sync(slug)).result).toMatchObject({ status: 'completed', added: 2, deactivated: 0, skipped_local: 0 });
    const carol = await userOf(t.tenant.id, 'carol');
    expect(carol.source).toBe('scaikey');
    const carolKey = await createApiKey(db, { tenantId: t.tenant.id, userId: carol.id, name: 'carol laptop' });

    // The directory grows, carol leaves it, and one entry carries a local service account's subject.
    await putUsers(slug, [
      ...Array.from({ length: 30 }, (_, i) => ({ id: `grown-${i}`, groups: ['member'] })),
      { id: 'svc-export', displayName: 'Impostor', email: 'impostor@example.test', groups: ['admin'] },
    ]);
    await removeUser(slug, 'carol');
    const run = await sync(slug);
    expect(run.code, run.stderr).toBe(0);
    expect(run.result).toMatchObject({ status: 'completed', added: 30, updated: 0, deactivated: 1, skipped_local: 1, idp_users: 32 });

    for (const subject of locals) expect(await userOf(t.tenant.id, subject)).toMatchObject({ status: 'active', source: 'local' });
    // The colliding entry changed nothing of the local user.
    expect(await userOf(t.tenant.id, 'svc-export')).toMatchObject({ displayName: 'svc-export', email: null, roles: ['member'] });
    expect(await userOf(t.tenant.id, 'carol')).toMatchObject({ status: 'deactivated', source: 'scaikey' });
    expect((await me(carolKey.key)).status).toBe(401);

    const admin = await me(t.apiKey.key);
    expect(admin.status).toBe(200);
    expect(admin.body.data).toMatchObject({ subject: t.user.scaikeySubject, source: 'local', roles: ['admin'] });
    const alice = await me(await idpToken({ sub: 'alice', tenant: slug, roles: ['member'] }));
    expect(alice.body.data).toMatchObject({ subject: 'alice', source: 'scaikey' });
    const row = await db.identitySyncRun.findFirstOrThrow({ where: { tenantId: t.tenant.id }, orderBy: { startedAt: 'desc' } });
    expect(row).toMatchObject({ status: 'completed', added: 30, deactivated: 1, skippedLocal: 1, usersRead: 32, usersApplied: 32 });
  }, 180_000);

  it('the guard counts only scaikey users: many local users do not hold back a sync', async () => {
    const { t } = await tenantWithLocals();
    const slug = t.tenant.slug;
    await putUsers(slug, [
      { id: 'alice', groups: ['member'] },
      { id: 'bob', groups: ['member'] },
    ]);
    expect((await sync(slug)).result).toMatchObject({ status: 'completed', added: 2 });
    await removeUser(slug, 'bob');
    // 1 of 2 scaikey users listed is 50%: enough. Counting the four local users, it would be 1 of 6.
    const run = await sync(slug);
    expect(run.result).toMatchObject({ status: 'completed', deactivated: 1 });
    expect(await userOf(t.tenant.id, 'bob')).toMatchObject({ status: 'deactivated' });
    expect(await db.user.count({ where: { tenantId: t.tenant.id, status: 'active' } })).toBe(5);
  }, 120_000);

  it("a room import's placeholder is left alone while ScaiKey does not list its subject, and adopted, id and all, once it does", async () => {
    const t = await newTenant(db, { roles: ['admin'], source: 'local' });
    const slug = t.tenant.slug;
    const placeholder = await db.user.create({
      data: placeholderUser(t.tenant.id, { id: 'source-user', subject: 'imported-dana', displayName: 'Dana (bundle)', email: null }, new Date()),
    });
    await putUsers(slug, [{ id: 'erin', groups: ['member'] }]);
    expect((await sync(slug)).result).toMatchObject({ status: 'completed', added: 1, updated: 0, deactivated: 0 });
    expect(await userOf(t.tenant.id, 'imported-dana')).toMatchObject({ id: placeholder.id, source: 'import', status: 'deactivated' });

    await putUser(slug, 'imported-dana', { displayName: 'Dana', email: 'dana@example.test', groups: ['member'] });
    expect((await sync(slug)).result).toMatchObject({ status: 'completed', added: 0, updated: 1, deactivated: 0 });
    expect(await userOf(t.tenant.id, 'imported-dana')).toMatchObject({
      id: placeholder.id,
      source: 'scaikey',
      status: 'active',
      deactivatedAt: null,
      displayName: 'Dana',
      email: 'dana@example.test',
      roles: ['member'],
    });
    // From now on it is the directory's like any other: gone from ScaiKey, deactivated.
    await removeUser(slug, 'imported-dana');
    expect((await sync(slug)).result).toMatchObject({ status: 'completed', deactivated: 1 });
  }, 120_000);

  it("a ScaiKey token for a local user signs it in but does not rewrite its roles or profile", async () => {
    const { t } = await tenantWithLocals();
    const token = await idpToken({ sub: 'ops-cli', tenant: t.tenant.slug, roles: ['admin'], email: 'ops@example.test' });
    const res = await me(token);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ subject: 'ops-cli', source: 'local', roles: ['compliance'] });
    expect(await userOf(t.tenant.id, 'ops-cli')).toMatchObject({ roles: ['compliance'], email: null, source: 'local' });
  }, 60_000);

  it('an operator marks an existing ScaiKey user local with `scaiwave admin set-user-source`; sync then leaves it', async () => {
    const t = await newTenant(db);
    const slug = t.tenant.slug;
    const admin = t.user.scaikeySubject;
    await putUsers(slug, [{ id: admin, groups: ['member'] }, ...['a', 'b', 'c', 'break-glass'].map((id) => ({ id, groups: ['member'] }))]);
    expect((await sync(slug)).result).toMatchObject({ status: 'completed', added: 4 });

    const set = await runScaiwave(['admin', 'set-user-source', '--tenant', slug, '--subject', 'break-glass', 'local', '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ user: { subject: 'break-glass', source: 'local', previous_source: 'scaikey' } });
    const again = await runScaiwave(['admin', 'set-user-source', '--tenant', slug, '--subject', 'break-glass', 'local']);
    expect(again.stdout).toMatch(/already local/);
    expect((await runScaiwave(['admin', 'set-user-source', '--tenant', slug, '--subject', 'nobody', 'local'])).code).toBe(3);
    expect((await runScaiwave(['admin', 'set-user-source', '--tenant', slug, '--subject', 'a', 'ldap'])).code).toBe(2);

    await removeUser(slug, 'break-glass');
    await removeUser(slug, 'c');
    const run = await sync(slug);
    expect(run.result).toMatchObject({ status: 'completed', deactivated: 1, skipped_local: 0 });
    expect(await userOf(t.tenant.id, 'break-glass')).toMatchObject({ status: 'active', source: 'local' });
    expect(await userOf(t.tenant.id, 'c')).toMatchObject({ status: 'deactivated' });
  }, 180_000);

  it('`scaiwave sync` prints progress to stderr while it runs, and only the result to stdout', async () => {
    const t = await newTenant(db);
    const slug = t.tenant.slug;
    await putUsers(slug, [t.user.scaikeySubject, ...Array.from({ length: 19 }, (_, i) => `p-${i}`)].map((id) => ({ id, groups: ['member'] })));
    // Each SCIM page comes late, so the run surely outlasts a progress tick or two.
    await scimFault(slug, 'slow');
    try {
      const run = await sync(slug);
      expect(run.code, run.stderr).toBe(0);
      expect(run.result).toMatchObject({ status: 'completed', added: 19 });
      const lines = run.stderr.split('\n').filter((l) => l.includes(slug) && / read \d+\/(\d+|\?) /.test(l));
      expect(lines.length, run.stderr).toBeGreaterThan(0);
      expect(lines[0]).toMatch(/read \d+\/(20|\?)\s+applied \d+\/(20|\?)\s+added \d+\s+updated \d+\s+deactivated \d+/);
    } finally {
      await scimFault(slug, 'ok');
    }
  }, 120_000);
});
