import Router from '@koa/router';
import { callerOf } from '../middleware/auth.js';
import { ok } from '../envelope.js';
import type { ApiState } from '../state.js';

export function meRoutes(): Router<ApiState> {
  const router = new Router<ApiState>();
  router.get('/v1/me', (ctx) => {
    const c = callerOf(ctx.state);
    ok(ctx, {
      tenant_id: c.tenantId,
      tenant_slug: c.tenantSlug,
      user_id: c.userId,
      subject: c.subject,
      source: c.source,
      via: c.via,
      api_key_id: c.apiKeyId,
      roles: c.roles,
      permissions: [...c.permissions].sort(),
    });
  });
  return router;
}
