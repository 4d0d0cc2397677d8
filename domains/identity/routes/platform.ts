import type { RouteDeps } from '../../../lib/http/route-deps.js';
import { audit } from '../../../lib/http/audit.js';
import { requirePlatformOperator, type Authentication } from '../../../lib/http/auth.js';
import { RouteGroup } from '../../../lib/http/route-group.js';
import { routeTemplate } from '../../../lib/http/route-template.js';
import { nodeAdminRoutes } from '../../scaiecho/node-routes.js';
import { systemCheckRoutes } from '../../system/routes.js';

/**
 * What acts on the whole cluster rather than on one tenant: platform operators
 * only (the service token, or platform:operate). A tenant's own administration
 * (/v1/admin/usage, the ScaiEcho policy) stays with its admins, on the v1 group.
 */
export function platformRoutes(auth: Authentication, deps: RouteDeps): RouteGroup {
  const group = new RouteGroup('platform');
  group.router.use(routeTemplate(group.router));
  group.router.use(audit(deps.sql, deps.logger));
  group.router.use(requirePlatformOperator(auth));
  return group.add(...nodeAdminRoutes(deps.registry), ...systemCheckRoutes(deps.config, deps.temporal));
}
