import type { Middleware } from 'koa';
import type { Caller } from '../../lib/auth/caller.js';
import { AppError } from '../../lib/errors.js';
import type { RateLimits } from '../../lib/tenancy/tenant-limits.js';
import type { Authentication } from './auth.js';
import type { ApiState } from '../state.js';
import { retryAfterSeconds, type Refused, type Windows } from './windows.js';

/**
 * Authentication and rate limits for /v1 in one Redis round trip (windows.ts):
 * the credential is resolved (from the process's cache, mostly), then one script
 * checks the address's failed authentications and consumes the tenant's and the
 * credential's one-minute windows. A refused credential instead counts as a
 * failure of its address (one round trip too). Limits differ per tenant and come
 * from `limitsFor`.
 */
export function admit(auth: Authentication, windows: Windows, limitsFor: (tenantId: string) => Promise<RateLimits>): Middleware<ApiState> {
  return async (ctx, next) => {
    const address = ctx.ip;
    auth.failures.refuseIfRemembered(address);
    let caller: Caller;
    try {
      caller = await auth.resolver.resolve(ctx.get('Authorization') || undefined);
    } catch (err) {
      throw await auth.failures.failed(address, err);
    }
    const limits = await limitsFor(caller.tenantId);
    const verdict = await windows.admit(address, caller.tenantId, caller.apiKeyId ?? `user:${caller.userId}`, {
      failuresPerMinute: auth.failures.perMinute,
      ...limits,
    });
    if (verdict.refused === 'address') throw auth.failures.refusal(address, verdict.ms);
    ctx.state.caller = caller;
    if (verdict.refused) throw limited(verdict.refused, verdict.refused === 'tenant' ? limits.tenantPerMinute : limits.keyPerMinute, verdict.ms);
    ctx.set('X-RateLimit-Limit', String(limits.keyPerMinute));
    ctx.set('X-RateLimit-Remaining', String(Math.max(limits.keyPerMinute - verdict.consumed, 0)));
    await next();
  };
}

function limited(scope: Exclude<Refused, 'address'>, points: number, ms: number): AppError {
  const seconds = retryAfterSeconds(ms);
  return new AppError('RATE_LIMITED', `rate limit of ${points} requests per minute per ${scope} reached`, undefined, {
    'Retry-After': String(seconds),
    'X-RateLimit-Limit': String(points),
    'X-RateLimit-Remaining': '0',
  });
}
