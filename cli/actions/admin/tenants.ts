import { TENANT_WIDE } from '../../../domains/accounting/budgets.js';
import { provisionTenant } from '../../../domains/identity/provisioning.js';
import { tenantLimits } from '../../../lib/tenancy/tenant-limits.js';
import type { TenantTier } from '../../../lib/tenancy/tenant-fields.js';
import { findTenantBySlug } from '../../../lib/tenancy/tenants.js';
import { userRoles, userSource } from '../../../lib/tenancy/users.js';
import { withDb } from '../../connections.js';
import { API_KEY_WARNING, conflict, formatTable, print, printJson } from '../../support.js';
import { budgetView, describeBudget, type BudgetView } from './budgets.js';
import { printKey } from './shared.js';

// What `scaiwave admin create-tenant` and `list-tenants` do (arguments and help: commands/admin/tenants.ts).

interface CreateTenantOptions {
  name: string;
  tier: TenantTier;
  adminSubject: string;
  adminEmail?: string;
  json?: boolean;
}

export async function createTenantCommand(slug: string, opts: CreateTenantOptions): Promise<void> {
  const keyName = 'initial admin key';
  const result = await withDb(async ({ db }) => {
    // Checked first so a clash reports cleanly; the unique index still decides a race.
    if (await findTenantBySlug(db, slug)) throw conflict(`tenant "${slug}" already exists`);
    return provisionTenant(db, {
      slug,
      name: opts.name,
      tier: opts.tier,
      subject: opts.adminSubject,
      email: opts.adminEmail,
      roles: ['admin'],
      keyName,
    });
  });
  const { tenant, user, apiKey } = result;
  if (opts.json) {
    printJson({
      tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, tier: tenant.tier, status: tenant.status },
      user: { id: user.id, subject: user.scaikeySubject, email: user.email, roles: userRoles(user), source: userSource(user) },
      api_key: { id: apiKey.id, name: keyName, prefix: apiKey.prefix, key: apiKey.key, expires_at: null },
    });
    process.stderr.write(`warning: ${API_KEY_WARNING}\n`);
    return;
  }
  print(
    `Created tenant "${tenant.slug}" (${tenant.name})`,
    `Tenant id:   ${tenant.id}`,
    `Tier:        ${tenant.tier}`,
    `Admin user:  ${user.scaikeySubject}${user.email ? ` <${user.email}>` : ''} (id ${user.id}, roles admin, source ${userSource(user)})`,
  );
  printKey({ id: apiKey.id, key: apiKey.key, name: keyName, expiresAt: null });
}

interface TenantRow {
  id: string;
  slug: string;
  name: string;
  tier: string;
  status: string;
  rate_limits: { tenant_per_minute: number; key_per_minute: number };
  users: number;
  scaiecho_policy: { allowed_backends: string; default_backend: string } | null;
  budget: BudgetView | null;
  created_at: Date;
}

export async function listTenantsCommand(opts: { json?: boolean }): Promise<void> {
  const rows = await withDb(async ({ db, config }): Promise<TenantRow[]> => {
    const tenants = await db.tenant.findMany({
      orderBy: { slug: 'asc' },
      include: { policy: true, budgets: { where: { userId: TENANT_WIDE } }, _count: { select: { users: true } } },
    });
    // The same resolution the API's rate limiter applies, so what is shown is what is enforced.
    const limitsOf = tenantLimits(db, config);
    const out: TenantRow[] = [];
    for (const t of tenants) {
      const limits = await limitsOf(t.id);
      out.push({
        id: t.id,
        slug: t.slug,
        name: t.name,
        tier: t.tier,
        status: t.status,
        rate_limits: { tenant_per_minute: limits.tenantPerMinute, key_per_minute: limits.keyPerMinute },
        users: t._count.users,
        scaiecho_policy: t.policy
          ? { allowed_backends: t.policy.allowedBackends, default_backend: t.policy.defaultBackend }
          : null,
        budget: t.budgets[0] ? budgetView(t.budgets[0]) : null,
        created_at: t.createdAt,
      });
    }
    return out;
  });
  if (opts.json) {
    printJson({ tenants: rows });
    return;
  }
  if (rows.length === 0) {
    print('No tenants. Create one with: scaiwave admin create-tenant <slug> --name <name>');
    return;
  }
  print(
    ...formatTable(
      ['SLUG', 'TIER', 'STATUS', 'REQ/MIN TENANT', 'REQ/MIN KEY', 'USERS', 'SCAIECHO (allowed/default)', 'BUDGET/MONTH', 'NAME'],
      rows.map((r) => [
        r.slug,
        r.tier,
        r.status,
        String(r.rate_limits.tenant_per_minute),
        String(r.rate_limits.key_per_minute),
        String(r.users),
        r.scaiecho_policy ? `${r.scaiecho_policy.allowed_backends}/${r.scaiecho_policy.default_backend}` : 'tier default',
        r.budget ? describeBudget(r.budget) : 'none',
        r.name,
      ]),
    ),
  );
}
