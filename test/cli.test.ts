import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveApiKey } from '../lib/auth/api-keys.js';
import type { Db } from '../lib/infra/db.js';
import { runScaiwave, type CliRun } from './support/cli.js';
import { newTenant, testConfig, testDb, uniq } from './support/stack.js';

// The CLI runs as operators run it: a separate process with the run's SCAIWAVE_* env.

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => runScaiwave(args, env, 30_000);

const KEY = /sgk_[0-9A-Za-z]{40}/;

interface CreatedTenant {
  tenant: { id: string; slug: string; tier: string };
  user: { id: string; subject: string; roles: string[] };
  api_key: { id: string; key: string };
}

interface ListedTenant {
  id: string;
  slug: string;
  tier: string;
  status: string;
  rate_limits: { tenant_per_minute: number; key_per_minute: number };
  users: number;
  scaiecho_policy: { allowed_backends: string; default_backend: string } | null;
}

describe('scaiwave CLI', () => {
  let db: Db;

  beforeAll(() => {
    db = testDb();
  });

  afterAll(async () => {
    await db.$disconnect();
  });

  it('--help exits 0 and lists the commands', async () => {
    const [top, admin] = await Promise.all([cli(['--help']), cli(['admin', '--help'])]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^\s+migrate\b/m);
    expect(top.stdout).toMatch(/^\s+admin\b/m);
    expect(top.stdout).toContain('Exit codes');
    expect(admin.code).toBe(0);
    for (const c of ['create-tenant', 'create-api-key', 'revoke-api-key', 'list-tenants', 'create-user']) {
      expect(admin.stdout).toContain(c);
    }
  });

  it('exits 2 on usage errors: unknown command, missing option, bad value, no command', async () => {
    const runs = await Promise.all([
      cli(['frobnicate']),
      cli(['admin', 'create-tenant', uniq('t')]),
      cli(['admin', 'create-tenant', 'Not_A_Slug', '--name', 'x']),
      cli(['admin', 'create-user', '--tenant', 'x', '--subject', 's', '--roles', 'admin,superuser']),
      cli([]),
    ]);
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect(runs[0]!.stderr).toContain("unknown command 'frobnicate'");
    expect(runs[1]!.stderr).toContain("required option '--name <name>' not specified");
    expect(runs[3]!.stderr).toContain('superuser');
  });

  it('create-tenant prints a working admin key once; the same slug again exits 4 and creates nothing', async () => {
    const slug = uniq('cli');
    const first = await cli(['admin', 'create-tenant', slug, '--name', 'CLI Corp', '--tier', 'pro', '--admin-email', 'ops@cli.example']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('shown only once');
    const key = KEY.exec(first.stdout)?.[0];
    expect(key).toBeDefined();

    const resolved = await resolveApiKey(db, key!);
    expect(resolved?.tenant.slug).toBe(slug);
    expect(resolved?.tenant.tier).toBe('pro');
    expect(resolved?.user.scaikeySubject).toBe('admin');
    expect(resolved?.user.email).toBe('ops@cli.example');
    expect(resolved?.user.roles).toEqual(['admin']);

    const tenantId = resolved!.tenant.id;
    const before = {
      users: await db.user.count({ where: { tenantId } }),
      keys: await db.apiKey.count({ where: { tenantId } }),
    };
    const again = await cli(['admin', 'create-tenant', slug, '--name', 'Other', '--admin-subject', 'someone-else', '--json']);
    expect(again.code).toBe(4);
    expect(again.stdout).toBe('');
    expect(again.stderr.trim().split('\n')).toEqual([`scaiwave: tenant "${slug}" already exists`]);
    expect(await db.tenant.count({ where: { slug } })).toBe(1);
    expect(await db.user.count({ where: { tenantId } })).toBe(before.users);
    expect(await db.apiKey.count({ where: { tenantId } })).toBe(before.keys);
    expect((await db.tenant.findUnique({ where: { slug } }))?.name).toBe('CLI Corp');
  });

  it('create-tenant --json prints exactly one JSON document with the key', async () => {
    const slug = uniq('cli');
    const run = await cli(['admin', 'create-tenant', slug, '--name', 'Json Inc', '--admin-subject', 'root-user', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as CreatedTenant;
    expect(out.tenant).toMatchObject({ slug, tier: 'free' });
    expect(out.user).toMatchObject({ subject: 'root-user', roles: ['admin'] });
    expect(out.api_key.key).toMatch(KEY);
    expect((await resolveApiKey(db, out.api_key.key))?.apiKey.id).toBe(out.api_key.id);
    expect(run.stderr).toContain('shown only once');
  });

  it('create-api-key and revoke-api-key: unknown tenant, user or key exit 3; a revoked key stops resolving', async () => {
    const { tenant, user } = await newTenant(db);
    const [noTenant, noUser, noKey] = await Promise.all([
      cli(['admin', 'create-api-key', '--tenant', uniq('missing'), '--subject', user.scaikeySubject]),
      cli(['admin', 'create-api-key', '--tenant', tenant.slug, '--subject', uniq('nobody')]),
      cli(['admin', 'revoke-api-key', '--tenant', tenant.slug, '00000000-0000-7000-8000-000000000000']),
    ]);
    for (const r of [noTenant, noUser, noKey]) {
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(noTenant.stderr).toMatch(/^scaiwave: tenant "missing-[0-9a-f]+" not found$/m);

    const created = await cli([
      'admin', 'create-api-key', '--tenant', tenant.slug, '--subject', user.scaikeySubject,
      '--name', 'deploy bot', '--expires-in-days', '7', '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const { api_key } = JSON.parse(created.stdout) as { api_key: { id: string; key: string; name: string; expires_at: string } };
    expect(api_key.name).toBe('deploy bot');
    const days = (new Date(api_key.expires_at).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);
    expect((await resolveApiKey(db, api_key.key))?.user.id).toBe(user.id);

    // Another tenant cannot revoke it: not found, and the key keeps working.
    const other = await newTenant(db);
    const wrongTenant = await cli(['admin', 'revoke-api-key', '--tenant', other.tenant.slug, api_key.id]);
    expect(wrongTenant.code).toBe(3);
    expect(await resolveApiKey(db, api_key.key)).not.toBeNull();

    const revoked = await cli(['admin', 'revoke-api-key', '--tenant', tenant.slug, api_key.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain('Revoked');
    expect(await resolveApiKey(db, api_key.key)).toBeNull();

    const twice = await cli(['admin', 'revoke-api-key', '--tenant', tenant.slug, api_key.id, '--json']);
    expect(twice.code).toBe(0);
    expect(JSON.parse(twice.stdout)).toMatchObject({ id: api_key.id, revoked: true, already_revoked: true });
  });

  it('list-tenants --json shows effective rate limits, user counts and the ScaiEcho policy', async () => {
    const custom = await newTenant(db, { tier: 'enterprise', features: { rate_limits: { tenant_per_minute: 42 } } });
    const plain = await newTenant(db, { tier: 'free' });
    await db.scaiEchoTenantPolicy.create({
      data: { tenantId: custom.tenant.id, allowedBackends: 'AB', defaultBackend: 'A' },
    });
    const defaults = testConfig().env;

    // The fallback comes from the CLI's own environment, as it does for the API.
    const run = await cli(['admin', 'list-tenants', '--json'], { SCAIWAVE_RATE_LIMIT_KEY_PER_MINUTE: '77' });
    expect(run.code, run.stderr).toBe(0);
    const { tenants } = JSON.parse(run.stdout) as { tenants: ListedTenant[] };
    const bySlug = new Map(tenants.map((t) => [t.slug, t]));

    expect(bySlug.get(custom.tenant.slug)).toMatchObject({
      id: custom.tenant.id,
      tier: 'enterprise',
      status: 'active',
      rate_limits: { tenant_per_minute: 42, key_per_minute: 77 },
      users: 1,
      scaiecho_policy: { allowed_backends: 'AB', default_backend: 'A' },
    });
    expect(bySlug.get(plain.tenant.slug)).toMatchObject({
      tier: 'free',
      rate_limits: { tenant_per_minute: defaults.SCAIWAVE_RATE_LIMIT_TENANT_PER_MINUTE, key_per_minute: 77 },
      users: 1,
      scaiecho_policy: null,
    });

    const human = await cli(['admin', 'list-tenants']);
    expect(human.code).toBe(0);
    const row = human.stdout.split('\n').find((l) => l.startsWith(`${custom.tenant.slug} `));
    expect(row).toMatch(/\benterprise\s+active\s+42\s+\d+\s+1\s+AB\/A\b/);
    expect(human.stdout.split('\n').find((l) => l.startsWith(`${plain.tenant.slug} `))).toContain('tier default');
  });

  it('create-user adds a user with roles; a duplicate subject exits 4', async () => {
    const { tenant } = await newTenant(db);
    const subject = uniq('carol');
    const run = await cli(['admin', 'create-user', '--tenant', tenant.slug, '--subject', subject, '--roles', 'member,compliance', '--email', 'carol@x.example', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const { user } = JSON.parse(run.stdout) as { user: { id: string; roles: string[] } };
    const row = await db.user.findUnique({ where: { id: user.id } });
    expect(row).toMatchObject({ tenantId: tenant.id, scaikeySubject: subject, email: 'carol@x.example', roles: ['member', 'compliance'] });

    const [dup, noTenant] = await Promise.all([
      cli(['admin', 'create-user', '--tenant', tenant.slug, '--subject', subject]),
      cli(['admin', 'create-user', '--tenant', uniq('missing'), '--subject', subject]),
    ]);
    expect(dup.code).toBe(4);
    expect(noTenant.code).toBe(3);
  });

  it('exits 1 with one clear line when the database is unreachable', async () => {
    const run = await cli(['admin', 'list-tenants'], { SCAIWAVE_DB_URL: 'mysql://root@127.0.0.1:1/nowhere' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^scaiwave: cannot connect to MariaDB at 127\.0\.0\.1:1\/nowhere: /)]);
  });

  it('migrate is idempotent against the run database', async () => {
    const run = await cli(['migrate']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('already applied');
  });
});
