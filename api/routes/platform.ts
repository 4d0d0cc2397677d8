import type { ApiDeps } from '../deps.js';
import { audit } from '../middleware/audit.js';
import { requirePlatformOperator, type Authentication } from '../middleware/auth.js';
import { RouteGroup } from '../route-group.js';
import { routeTemplate } from '../route-template.js';
import { nodeAdminRoutes } from './nodes.js';
import { systemCheckRoutes } from './system-check.js';

/**
 * What acts on the whole cluster rather than on one tenant: platform operators
 * only (the service token, or platform:operate). A tenant's own administration
 * (/v1/admin/usage, the ScaiEcho policy) stays with its admins, on the v1 group.
 */
export function platformRoutes(auth: Authentication, deps: ApiDeps): RouteGroup {
  const group = new RouteGroup('platform');
  group.router.use(routeTemplate(group.router));
  group.router.use(audit(deps.sql, deps.logger));
  group.router.use(requirePlatformOperator(auth));
  return group.add(...nodeAdminRoutes(deps.registry), ...systemCheckRoutes(deps.config, deps.temporal));
}
