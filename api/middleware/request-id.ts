import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { ApiState } from '../../lib/http/state.js';

const acceptable = /^[A-Za-z0-9._:-]{8,64}$/;

/** Honours a caller's id when it is safe to log, so one id follows a request across services. */
export function requestIdOf(given: string | undefined): string {
  return given !== undefined && acceptable.test(given) ? given : randomUUID();
}

export function requestId(): Middleware<ApiState> {
  return async (ctx, next) => {
    ctx.state.requestId = requestIdOf(ctx.get('X-Request-Id'));
    ctx.set('X-Request-Id', ctx.state.requestId);
    await next();
  };
}
