import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { AppError } from '../../lib/errors.js';
import type { ApiState } from '../../lib/http/state.js';

/**
 * One answer for a method a path does not take, whichever router serves the
 * path: 405 with `Allow` (RFC 9110 §15.5.6), or 204 with `Allow` for OPTIONS
 * (a CORS preflight from an allowed origin never gets here: the CORS middleware
 * answers it). Runs before authentication: the route table is public, and a
 * client with the wrong method should learn that, not that its token is bad.
 * A path no router serves falls through to the 404 of the error envelope.
 */
export function allowedMethods(routers: readonly Router<ApiState>[]): Middleware<ApiState> {
  return async (ctx, next) => {
    const allowed = new Set<string>();
    for (const router of routers) {
      const match = router.match(ctx.path, ctx.method);
      if (match.pathAndMethod.some((layer) => layer.methods.length > 0)) return next();
      for (const layer of match.path) for (const m of layer.methods) allowed.add(m);
    }
    if (allowed.size === 0) return next();
    allowed.add('OPTIONS');
    const allow = [...allowed].sort().join(', ');
    if (ctx.method === 'OPTIONS') {
      ctx.set('Allow', allow);
      ctx.status = 204;
      return;
    }
    throw new AppError('METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${ctx.path}; allowed: ${allow}`, undefined, {
      Allow: allow,
    });
  };
}
