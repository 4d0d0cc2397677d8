import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { ApiState } from './state.js';

/**
 * The route template ("/v1/api-keys/:id") a request is headed for, fixed before
 * any middleware can refuse it, so metrics and the audit log name the route even
 * for a 401 and never carry raw ids.
 */
export function routeTemplate(router: Router<ApiState>): Middleware<ApiState> {
  return async (ctx, next) => {
    const layers = router.match(ctx.path, ctx.method).pathAndMethod.filter((l) => l.methods.length > 0);
    const path = layers.at(-1)?.path;
    ctx.state.route = typeof path === 'string' ? path : undefined;
    await next();
  };
}

export const routeOf = (ctx: Context & { state: ApiState }): string =>
  ctx.state.route ?? (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
