// Roles come from ScaiKey (JWT `roles` claim) or from the user row for API keys;
// permissions are what route guards check, so a role change never touches a route.

export const PERMISSIONS = ['admin:access', 'models:use', 'scaiecho:use', 'compliance:manage', 'wave:use'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['admin', 'member', 'compliance', 'service'] as const;
export type Role = (typeof ROLES)[number];

const grants: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  member: ['models:use', 'scaiecho:use', 'wave:use'],
  compliance: ['compliance:manage'],
  // Internal components call models and transcription on behalf of tenants, never the admin API.
  service: ['models:use', 'scaiecho:use'],
};

const isRole = (r: string): r is Role => Object.hasOwn(grants, r);

/** Unknown roles grant nothing, so a typo in ScaiKey cannot widen access. */
export function permissionsFor(roles: readonly string[]): Set<Permission> {
  return new Set(roles.filter(isRole).flatMap((r) => grants[r]));
}
