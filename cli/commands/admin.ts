import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { setBudget, TENANT_WIDE, type UsageBudget } from '../../lib/accounting/budgets.js';
import { createApiKey, revokeApiKey } from '../../lib/auth/api-keys.js';
import { ROLES, type Role } from '../../lib/auth/permissions.js';
import type { Db } from '../../lib/db.js';
import { provisionTenant } from '../../lib/provisioning.js';
import { tenantLimits } from '../../lib/tenant-limits.js';
import { findTenantBySlug, TENANT_SLUG, TENANT_TIERS, type Tenant, type TenantTier } from '../../lib/tenants.js';
import {
  createUser,
  MAX_EMAIL_CHARS,
  setUserSource,
  subjectProblem,
  USER_SOURCES,
  userRoles,
  userSource,
  type UserSource,
} from '../../lib/users.js';
import {
  announceCredentialChange,
  API_KEY_WARNING,
  conflict,
  formatTable,
  notFound,
  print,
  printJson,
  withDb,
  EXIT_CODES_HELP,
} from '../support.js';

// `scaiwave admin …`: tenants, their users and API keys, straight against the
// database (no API process needed), for bootstrapping and break-glass work.

const MAX_KEY_DAYS = 3650;

// ---- argument parsers: a bad value is a usage error (exit 2) before any I/O ----

function parseSlug(value: string): string {
  if (!TENANT_SLUG.test(value)) {
    throw new InvalidArgumentError('must be 2-63 lowercase letters, digits or dashes, not starting with a dash.');
  }
  return value;
}

function parseSubject(value: string): string {
  const problem = subjectProblem(value);
  if (problem) throw new InvalidArgumentError(`${problem}.`);
  return value;
}

function parseEmail(value: string): string {
  if (value.length > MAX_EMAIL_CHARS || !/^[^\s@]+@[^\s@]+$/.test(value)) {
    throw new InvalidArgumentError(`must be an email address of at most ${MAX_EMAIL_CHARS} characters.`);
  }
  return value;
}

function parseName(value: string): string {
  const name = value.trim();
  if (name === '' || name.length > 255) throw new InvalidArgumentError('must be 1-255 characters.');
  return name;
}

function parseRoles(value: string): Role[] {
  const roles = value
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (roles.length === 0) throw new InvalidArgumentError(`give at least one of ${ROLES.join(', ')}.`);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`unknown role ${unknown.join(', ')}; roles are ${ROLES.join(', ')}.`);
  }
  return [...new Set(roles as Role[])];
}

function parseDays(value: string): number {
  const days = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(days) || days < 1 || days > MAX_KEY_DAYS) {
    throw new InvalidArgumentError(`must be a whole number of days from 1 to ${MAX_KEY_DAYS}.`);
  }
  return days;
}

// ---- lookups shared by the commands ----

async function requireTenant(db: Db, slug: string): Promise<Tenant> {
  const tenant = await findTenantBySlug(db, slug);
  if (!tenant) throw notFound(`tenant "${slug}" not found`);
  return tenant;
}

function printKey(key: { id: string; key: string; name: string; expiresAt: Date | null }): void {
  print(
    `API key id:  ${key.id}`,
    `Key name:    ${key.name}`,
    `Expires:     ${key.expiresAt ? key.expiresAt.toISOString() : 'never'}`,
    '',
    `    ${key.key}`,
    '',
    `WARNING: ${API_KEY_WARNING}`,
  );
}

// ---- commands ----

interface CreateTenantOptions {
  name: string;
  tier: TenantTier;
  adminSubject: string;
  adminEmail?: string;
  json?: boolean;
}

async function createTenantCommand(slug: string, opts: CreateTenantOptions): Promise<void> {
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

interface CreateApiKeyOptions {
  tenant: string;
  subject: string;
  name: string;
  expiresInDays?: number;
  json?: boolean;
}

async function createApiKeyCommand(opts: CreateApiKeyOptions): Promise<void> {
  const expiresAt = opts.expiresInDays ? new Date(Date.now() + opts.expiresInDays * 86_400_000) : null;
  const { tenant, user, apiKey } = await withDb(async ({ db }) => {
    const tenant = await requireTenant(db, opts.tenant);
    const user = await db.user.findUnique({
      where: { tenantId_scaikeySubject: { tenantId: tenant.id, scaikeySubject: opts.subject } },
    });
    if (!user) throw notFound(`user "${opts.subject}" not found in tenant "${tenant.slug}"`);
    // A key for an inactive owner would never authenticate; say so instead of handing out a dead key.
    if (tenant.status !== 'active') throw conflict(`tenant "${tenant.slug}" is ${tenant.status}; its keys cannot authenticate`);
    if (user.status !== 'active') throw conflict(`user "${opts.subject}" is ${user.status}; its keys cannot authenticate`);
    const apiKey = await createApiKey(db, { tenantId: tenant.id, userId: user.id, name: opts.name, expiresAt });
    return { tenant, user, apiKey };
  });
  if (opts.json) {
    printJson({
      tenant: { id: tenant.id, slug: tenant.slug },
      user: { id: user.id, subject: user.scaikeySubject },
      api_key: { id: apiKey.id, name: opts.name, prefix: apiKey.prefix, key: apiKey.key, expires_at: expiresAt },
    });
    process.stderr.write(`warning: ${API_KEY_WARNING}\n`);
    return;
  }
  print(`Created API key for user "${user.scaikeySubject}" in tenant "${tenant.slug}"`);
  printKey({ id: apiKey.id, key: apiKey.key, name: opts.name, expiresAt });
}

async function revokeApiKeyCommand(keyId: string, opts: { tenant: string; json?: boolean }): Promise<void> {
  const { tenant, wasRevokedAt } = await withDb(async ({ db, config }) => {
    const tenant = await requireTenant(db, opts.tenant);
    const key = await db.apiKey.findFirst({ where: { id: keyId, tenantId: tenant.id }, select: { revokedAt: true } });
    // Another tenant's key is "not found" too, as in the API.
    if (!key || !(await revokeApiKey(db, { tenantId: tenant.id, id: keyId }))) {
      throw notFound(`API key "${keyId}" not found in tenant "${tenant.slug}"`);
    }
    await announceCredentialChange(config, { kind: 'api_key', tenantId: tenant.id, apiKeyId: keyId });
    return { tenant, wasRevokedAt: key.revokedAt };
  });
  if (opts.json) {
    printJson({ id: keyId, tenant: tenant.slug, revoked: true, already_revoked: wasRevokedAt !== null });
    return;
  }
  print(
    wasRevokedAt
      ? `API key ${keyId} of tenant "${tenant.slug}" was already revoked (at ${wasRevokedAt.toISOString()})`
      : `Revoked API key ${keyId} of tenant "${tenant.slug}"; it no longer authenticates`,
  );
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

async function listTenantsCommand(opts: { json?: boolean }): Promise<void> {
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

interface CreateUserOptions {
  tenant: string;
  subject: string;
  roles: Role[];
  email?: string;
  json?: boolean;
}

async function createUserCommand(opts: CreateUserOptions): Promise<void> {
  const { tenant, user } = await withDb(async ({ db }) => {
    const tenant = await requireTenant(db, opts.tenant);
    const user = await createUser(db, { tenantId: tenant.id, subject: opts.subject, email: opts.email, roles: opts.roles });
    return { tenant, user };
  });
  if (opts.json) {
    printJson({
      tenant: { id: tenant.id, slug: tenant.slug },
      user: {
        id: user.id,
        subject: user.scaikeySubject,
        email: user.email,
        roles: userRoles(user),
        status: user.status,
        source: userSource(user),
      },
    });
    return;
  }
  print(
    `Created user "${user.scaikeySubject}" in tenant "${tenant.slug}"`,
    `User id:     ${user.id}`,
    `Roles:       ${userRoles(user).join(', ')}`,
    `Source:      ${userSource(user)} (identity sync never touches it)`,
    ...(user.email ? [`Email:       ${user.email}`] : []),
  );
}

const SOURCE_EFFECT: Record<UserSource, string> = {
  local: 'identity sync no longer adds over, updates, reactivates or deactivates it; its roles are managed here',
  scaikey: 'the next identity sync manages it: deactivated (and its API keys revoked) unless ScaiKey lists it as active',
};

async function setUserSourceCommand(source: UserSource, opts: { tenant: string; subject: string; json?: boolean }): Promise<void> {
  const { tenant, changed } = await withDb(async ({ db, config }) => {
    const tenant = await requireTenant(db, opts.tenant);
    const changed = await setUserSource(db, { tenantId: tenant.id, subject: opts.subject }, source);
    if (!changed) throw notFound(`user "${opts.subject}" not found in tenant "${tenant.slug}"`);
    await announceCredentialChange(config, { kind: 'user', tenantId: tenant.id, userId: changed.user.id });
    return { tenant, changed };
  });
  const { user, previous } = changed;
  if (opts.json) {
    printJson({
      tenant: { id: tenant.id, slug: tenant.slug },
      user: { id: user.id, subject: user.scaikeySubject, status: user.status, source: userSource(user), previous_source: previous },
    });
    return;
  }
  print(
    previous === source
      ? `User "${user.scaikeySubject}" of tenant "${tenant.slug}" was already ${source}`
      : `User "${user.scaikeySubject}" of tenant "${tenant.slug}" is now ${source} (was ${previous}): ${SOURCE_EFFECT[source]}`,
    ...(user.status !== 'active' ? [`Note: the user is ${user.status}; this does not reactivate it.`] : []),
  );
}

interface BudgetView {
  max_requests: number | null;
  max_tokens: number | null;
  max_audio_ms: number | null;
}

const budgetView = (b: UsageBudget): BudgetView => ({
  max_requests: b.maxRequests === null ? null : Number(b.maxRequests),
  max_tokens: b.maxTokens === null ? null : Number(b.maxTokens),
  max_audio_ms: b.maxAudioMs === null ? null : Number(b.maxAudioMs),
});

function describeBudget(b: BudgetView): string {
  const parts = [
    b.max_requests === null ? null : `${b.max_requests} req`,
    b.max_tokens === null ? null : `${b.max_tokens} tokens`,
    b.max_audio_ms === null ? null : `${b.max_audio_ms / 60_000} min audio`,
  ].filter((p) => p !== null);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

interface SetBudgetOptions {
  tenant: string;
  subject?: string;
  requests?: number;
  tokens?: number;
  audioMinutes?: number;
  json?: boolean;
}

async function setBudgetCommand(opts: SetBudgetOptions): Promise<void> {
  const limits = {
    maxRequests: opts.requests ?? null,
    maxTokens: opts.tokens ?? null,
    maxAudioMs: opts.audioMinutes === undefined ? null : opts.audioMinutes * 60_000,
  };
  const clear = Object.values(limits).every((v) => v === null);
  const { tenant, scope, budget } = await withDb(async ({ db }) => {
    const tenant = await requireTenant(db, opts.tenant);
    let userId = TENANT_WIDE;
    if (opts.subject !== undefined) {
      const user = await db.user.findUnique({
        where: { tenantId_scaikeySubject: { tenantId: tenant.id, scaikeySubject: opts.subject } },
        select: { id: true },
      });
      if (!user) throw notFound(`user "${opts.subject}" not found in tenant "${tenant.slug}"`);
      userId = user.id;
    }
    const scope = opts.subject === undefined ? `tenant "${tenant.slug}"` : `user "${opts.subject}" of tenant "${tenant.slug}"`;
    if (clear) {
      await db.usageBudget.deleteMany({ where: { tenantId: tenant.id, userId } });
      return { tenant, scope, budget: null };
    }
    return { tenant, scope, budget: budgetView(await setBudget(db, tenant.id, limits, userId)) };
  });
  if (opts.json) {
    printJson({ tenant: tenant.slug, subject: opts.subject ?? null, budget });
    return;
  }
  print(budget ? `Monthly budget of ${scope}: ${describeBudget(budget)}` : `Removed the monthly budget of ${scope}; usage is unlimited`);
}

function parseWhole(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number (0 or more).');
  return n;
}

// ---- registration ----

const jsonOption = () => new Option('--json', 'print one JSON document to stdout instead of text');

export function registerAdminCommands(program: Command): void {
  const admin = program
    .command('admin')
    .description('manage tenants, users and API keys directly in the database')
    .addHelpText('after', EXIT_CODES_HELP);

  admin
    .command('create-tenant')
    .description('create a tenant with a local admin user and that user\'s first API key (printed once)')
    .argument('<slug>', 'tenant slug: 2-63 lowercase letters, digits or dashes (the "tenant" claim of its tokens)', parseSlug)
    .requiredOption('--name <name>', 'display name of the tenant', parseName)
    .addOption(new Option('--tier <tier>', 'service tier').choices(TENANT_TIERS).default('free'))
    .addOption(
      new Option('--admin-subject <sub>', 'ScaiKey subject ("sub") of the admin user').default('admin').argParser(parseSubject),
    )
    .option('--admin-email <email>', 'email of the admin user', parseEmail)
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExample:\n  scaiwave admin create-tenant acme --name "Acme Corp" --tier pro --admin-subject alice --admin-email alice@acme.example\n' +
        EXIT_CODES_HELP,
    )
    .action(createTenantCommand);

  admin
    .command('create-api-key')
    .description('create an API key for an existing user (printed once)')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--subject <sub>', 'ScaiKey subject ("sub") of the user who will own the key', parseSubject)
    .addOption(new Option('--name <name>', 'label for the key').default('cli key').argParser(parseName))
    .option('--expires-in-days <n>', `days until the key expires (1-${MAX_KEY_DAYS}); default never`, parseDays)
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(createApiKeyCommand);

  admin
    .command('revoke-api-key')
    .description('revoke an API key; it stops authenticating at once (revoking twice is fine)')
    .argument('<key-id>', 'id of the key (as printed by create-api-key or listed by GET /v1/api-keys)')
    .requiredOption('--tenant <slug>', 'tenant slug the key belongs to')
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(revokeApiKeyCommand);

  admin
    .command('list-tenants')
    .description('list tenants with tier, status, effective rate limits, user count and ScaiEcho policy')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nRate limits are the effective ones: the tenant\'s features.rate_limits, else the\n' +
        'SCAIWAVE_RATE_LIMIT_TENANT_PER_MINUTE / SCAIWAVE_RATE_LIMIT_KEY_PER_MINUTE defaults.\n' +
        'SCAIECHO shows the tenant\'s backend policy (allowed/default) or "tier default".\n' +
        EXIT_CODES_HELP,
    )
    .action(listTenantsCommand);

  admin
    .command('create-user')
    .description('create a local user in a tenant: identity sync never touches it (ScaiKey users appear through sign-in or `scaiwave sync`)')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--subject <sub>', 'ScaiKey subject ("sub") of the user', parseSubject)
    .addOption(
      new Option('--roles <roles>', `comma-separated roles out of ${ROLES.join(', ')}`)
        .default(['member'], 'member')
        .argParser(parseRoles),
    )
    .option('--email <email>', 'email of the user', parseEmail)
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(createUserCommand);

  admin
    .command('set-user-source')
    .description('mark who manages a user: "local" (identity sync never touches it) or "scaikey" (sync adds, updates, deactivates it)')
    .addArgument(new Argument('<source>', 'local or scaikey').choices(USER_SOURCES))
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--subject <sub>', 'ScaiKey subject ("sub") of the user', parseSubject)
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nUsers that existed before the source was recorded count as scaikey. Mark break-glass admins and\n' +
        'service accounts local, or the next identity sync deactivates them when ScaiKey does not list them.\n\n' +
        'Example:\n  scaiwave admin set-user-source --tenant dev --subject dev-admin local\n' +
        EXIT_CODES_HELP,
    )
    .action(setUserSourceCommand);

  admin
    .command('set-budget')
    .description('set the monthly usage budget of a tenant, or of one of its users (402 BUDGET_EXCEEDED beyond it)')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .option('--subject <sub>', 'ScaiKey subject ("sub") of a user, for a budget of that user alone', parseSubject)
    .option('--requests <n>', 'requests per calendar month (UTC)', parseWhole)
    .option('--tokens <n>', 'model tokens per calendar month', parseWhole)
    .option('--audio-minutes <n>', 'minutes of audio transcribed per calendar month', parseWhole)
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nA limit left out is no limit; giving none removes the budget. Checked before any upstream work,\n' +
        'against usage counted as it happens (not only what the last accounting flush wrote).\n\n' +
        'Example:\n  scaiwave admin set-budget --tenant acme --audio-minutes 600 --requests 100000\n' +
        EXIT_CODES_HELP,
    )
    .action(setBudgetCommand);
}
