import type { Db } from '../../../lib/infra/db.js';
import { findTenantBySlug, type Tenant } from '../../../lib/tenancy/tenants.js';
import { API_KEY_WARNING, notFound, print } from '../../support.js';

// What several `scaiwave admin` actions share: the tenant lookup and how a new API key is shown.

export async function requireTenant(db: Db, slug: string): Promise<Tenant> {
  const tenant = await findTenantBySlug(db, slug);
  if (!tenant) throw notFound(`tenant "${slug}" not found`);
  return tenant;
}

export function printKey(key: { id: string; key: string; name: string; expiresAt: Date | null }): void {
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
