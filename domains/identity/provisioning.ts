import { createApiKey } from '../../lib/auth/api-keys.js';
import type { Db } from '../../lib/infra/db.js';
import { createTenant, type NewTenant, type Tenant } from '../../lib/tenancy/tenants.js';
import type { AssignableUserSource } from '../../lib/tenancy/user-fields.js';
import { createUser, type User } from '../../lib/tenancy/users.js';

export interface Provisioned {
  tenant: Tenant;
  user: User;
  apiKey: { id: string; key: string; prefix: string };
}

/**
 * A tenant with its first user and an API key for that user: what `scaiwave
 * admin create-tenant` and the dev stack's first start hand to a new customer.
 * That first user is `local` unless told otherwise: identity sync never
 * deactivates it, so the key handed out keeps working whatever the directory says.
 */
export async function provisionTenant(
  db: Db,
  input: NewTenant & { subject: string; email?: string; roles: string[]; keyName?: string; source?: AssignableUserSource },
): Promise<Provisioned> {
  const tenant = await createTenant(db, { slug: input.slug, name: input.name, tier: input.tier, features: input.features });
  const user = await createUser(db, {
    tenantId: tenant.id,
    subject: input.subject,
    email: input.email ?? null,
    roles: input.roles,
    source: input.source ?? 'local',
  });
  const apiKey = await createApiKey(db, { tenantId: tenant.id, userId: user.id, name: input.keyName ?? 'initial key' });
  return { tenant, user, apiKey };
}
