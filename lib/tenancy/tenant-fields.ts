// What a tenant's slug and tier may be, apart from the code that stores tenants:
// the CLI checks its arguments with these without loading the database client.

export const TENANT_SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
export const TENANT_TIERS = ['free', 'pro', 'enterprise'] as const;
export type TenantTier = (typeof TENANT_TIERS)[number];
