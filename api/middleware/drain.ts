import type { Middleware } from 'koa';
import { AppError } from '../../lib/errors.js';
import type { ApiState } from '../../lib/http/state.js';

/** Set on SIGTERM: new requests are refused so the load balancer moves on while in-flight ones finish. */
export class DrainFlag {
  private draining = false;
  start(): void {
    this.draining = true;
  }
  get isDraining(): boolean {
    return this.draining;
  }
}

export function drainCheck(flag: DrainFlag): Middleware<ApiState> {
  return async (ctx, next) => {
    if (flag.isDraining) {
      ctx.set('Connection', 'close');
      throw new AppError('SERVICE_DRAINING', 'this instance is shutting down; retry', undefined, { 'Retry-After': '1' });
    }
    await next();
  };
}
