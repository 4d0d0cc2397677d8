import type { UserSource } from '../tenancy/user-fields.js';
import type { Permission } from './permissions.js';

/** Who is calling, as an authenticated credential says: what every domain decides by. */
export interface Caller {
  tenantId: string;
  tenantSlug: string;
  userId: string;
  subject: string;
  /** who manages the user: the ScaiKey directory, or this deployment (lib/tenancy/users.ts) */
  source: UserSource;
  apiKeyId: string | null;
  via: 'jwt' | 'api_key';
  /** read-only: one Caller may serve many requests from the credential cache */
  readonly roles: readonly string[];
  readonly permissions: ReadonlySet<Permission>;
}
