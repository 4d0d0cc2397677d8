import { Option, type Command } from 'commander';
import { createApiKey, revokeApiKey } from '../../../lib/auth/api-keys.js';
import { announceCredentialChange, API_KEY_WARNING, conflict, EXIT_CODES_HELP, notFound, print, printJson, withDb } from '../../support.js';
import { jsonOption, MAX_KEY_DAYS, parseDays, parseName, parseSubject, printKey, requireTenant } from './shared.js';

// `scaiwave admin create-api-key` and `revoke-api-key`.

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

export function registerCreateApiKey(admin: Command): void {
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
}

export function registerRevokeApiKey(admin: Command): void {
  admin
    .command('revoke-api-key')
    .description('revoke an API key; it stops authenticating at once (revoking twice is fine)')
    .argument('<key-id>', 'id of the key (as printed by create-api-key or listed by GET /v1/api-keys)')
    .requiredOption('--tenant <slug>', 'tenant slug the key belongs to')
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(revokeApiKeyCommand);
}
