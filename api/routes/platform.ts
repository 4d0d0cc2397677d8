import Router from '@koa/router';
import type { ApiDeps } from '../deps.js';
import { audit } from '../middleware/audit.js';
import { requirePlatformOperator, type Authentication } from '../middleware/auth.js';
import { routeTemplate } from '../route-template.js';
import type { ApiState } from '../state.js';
import { nodeAdminRoutes } from './nodes.js';
import { systemCheckRoutes } from './system-check.js';

/**
 * What acts on the whole cluster rather than on one tenant: platform operators
 * only (the service token, or platform:operate). A tenant's own administration
 * (/v1/admin/usage, the ScaiEcho policy) stays with its admins, on the v1 router.
 */
export function platformRoutes(auth: Authentication, deps: ApiDeps): Router<ApiState> {
  const router = new Router<ApiState>({ prefix: '/v1/admin' });
  router.use(routeTemplate(router));
  router.use(audit(deps.db, deps.logger));
  router.use(requirePlatformOperator(auth));
  for (const r of [nodeAdminRoutes(deps.registry), systemCheckRoutes(deps.config, deps.temporal)]) router.use(r.routes());
  return router;
}
