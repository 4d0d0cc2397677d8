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

/** Routes declare what they need; a caller without it gets 403. */
export function requirePermission(permission: Permission): Middleware<ApiState> {
  return async (ctx, next) => {
    if (!callerOf(ctx.state).permissions.has(permission)) {
      throw new AppError('FORBIDDEN', `this needs the ${permission} permission`);
    }
    await next();
  };
}
