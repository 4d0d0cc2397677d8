import type { Middleware } from 'koa';
import type { Caller, CallerResolver } from '../../lib/auth/caller.js';
import type { Permission } from '../../lib/auth/permissions.js';
import { AppError } from '../../lib/errors.js';
import type { ApiState } from '../state.js';

export function authenticate(resolver: CallerResolver): Middleware<ApiState> {
  return async (ctx, next) => {
    ctx.state.caller = await resolver.resolve(ctx.get('Authorization') || undefined);
    await next();
  };
}

export function callerOf(state: ApiState): Caller {
  if (!state.caller) throw new AppError('UNAUTHORIZED', 'authentication required');
  return state.caller;
}

/**
 * Routes declare what they need; a caller holding none of the listed
 * permissions gets 403. Declared per route, never with router.use(): a
 * prefix-wide guard would also run for sibling routers under the same prefix.
 */
export function requirePermission(...anyOf: [Permission, ...Permission[]]): Middleware<ApiState> {
  return async (ctx, next) => {
    const held = callerOf(ctx.state).permissions;
    if (!anyOf.some((p) => held.has(p))) {
      throw new AppError('FORBIDDEN', `this needs the ${anyOf.join(' or ')} permission`);
    }
    await next();
  };
}
