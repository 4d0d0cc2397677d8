// Roles come from ScaiKey (JWT `roles` claim) or from the user row for API keys;
// permissions are what route guards check, so a role change never touches a route.

/** What a tenant's own roles can grant: everything inside that tenant. */
export const PERMISSIONS = ['admin:access', 'models:use', 'scaiecho:use', 'compliance:manage', 'wave:use'] as const;
/**
 * What acts on the whole cluster (ScaiInfer nodes every tenant shares). Only
 * the platform operators' own tenant (SCAIWAVE_PLATFORM_TENANT) can grant it:
 * a tenant's admin controls its tenant's roles, so a role name alone would let
 * any tenant promote itself.
 */
export const PLATFORM_PERMISSIONS = ['platform:operate'] as const;
export type Permission = (typeof PERMISSIONS)[number] | (typeof PLATFORM_PERMISSIONS)[number];

/** Who may run compliance work (erasures, holds, exports, imports): compliance officers and the tenant's admins. */
export const COMPLIANCE_PERMISSIONS: [Permission, ...Permission[]] = ['compliance:manage', 'admin:access'];

export const ROLES = ['admin', 'member', 'compliance', 'service', 'platform-operator'] as const;
export type Role = (typeof ROLES)[number];

const grants: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  member: ['models:use', 'scaiecho:use', 'wave:use'],
  compliance: ['compliance:manage'],
  // Internal components call models and transcription on behalf of tenants, never the admin API.
  service: ['models:use', 'scaiecho:use'],
  'platform-operator': PLATFORM_PERMISSIONS,
};

const isRole = (r: string): r is Role => Object.hasOwn(grants, r);
const platformWide = new Set<Permission>(PLATFORM_PERMISSIONS);

/**
 * Unknown roles grant nothing, so a typo in ScaiKey cannot widen access; the
 * platform-operator role grants nothing outside the platform tenant.
 */
export function permissionsFor(roles: readonly string[], inPlatformTenant = false): Set<Permission> {
  const granted = roles.filter(isRole).flatMap((r) => grants[r]);
  return new Set(inPlatformTenant ? granted : granted.filter((p) => !platformWide.has(p)));
}
