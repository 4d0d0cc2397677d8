import { createApiKey, revokeApiKey } from '../../../lib/auth/api-keys.js';
import { announceCredentialChange, withDb } from '../../connections.js';
import { API_KEY_WARNING, conflict, notFound, print, printJson } from '../../support.js';
import { printKey, requireTenant } from './shared.js';

// What `scaiwave admin create-api-key` and `revoke-api-key` do (arguments and help: commands/admin/api-keys.ts).

interface CreateApiKeyOptions {
  tenant: string;
  subject: string;
  name: string;
  expiresInDays?: number;
  json?: boolean;
}

export async function createApiKeyCommand(opts: CreateApiKeyOptions): Promise<void> {
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

export async function revokeApiKeyCommand(keyId: string, opts: { tenant: string; json?: boolean }): Promise<void> {
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
