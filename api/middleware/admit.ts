import type { Middleware } from 'koa';
import type { Caller } from '../../lib/auth/caller-identity.js';
import { AppError } from '../../lib/errors.js';
import type { RateLimits } from '../../lib/tenancy/tenant-limits.js';
import { resolveCaller, type Authentication, type Credentials } from '../../lib/http/auth.js';
import type { ApiState } from '../../lib/http/state.js';
import { retryAfterSeconds, type Refused, type Windows } from '../../lib/http/windows.js';

/** A known caller, and what is left of its credential's window (the X-RateLimit-* headers). */
interface Admitted {
  caller: Caller;
  keyPerMinute: number;
  remaining: number;
  /** set when the caller is known but over a limit: the audit log still names who was refused */
  limited?: AppError;
}

/**
 * Authentication and rate limits in one Redis round trip (windows.ts): the
 * credential is resolved (from the process's cache, mostly), then one script
 * consumes the tenant's and the credential's one-minute windows. Failed
 * authentications are limited per address and per credential before that
 * (auth-failures.ts): a refused credential counts as a failure of both (one
 * round trip too), and a presentation the failure rule refuses is not resolved
 * at all. Limits differ per tenant and come from `limitsFor`. The /v1 routes and
 * the WebSocket upgrade both go through it.
 */
export function admission(auth: Authentication, windows: Windows, limitsFor: (tenantId: string) => Promise<RateLimits>) {
  return async (address: string, credentials: Credentials): Promise<Admitted> => {
    const caller = await resolveCaller(auth, address, credentials);
    const limits = await limitsFor(caller.tenantId);
    const verdict = await windows.admit(caller.tenantId, caller.apiKeyId ?? `user:${caller.userId}`, limits);
    return {
      caller,
      keyPerMinute: limits.keyPerMinute,
      remaining: Math.max(limits.keyPerMinute - verdict.consumed, 0),
      limited: verdict.refused ? limited(verdict.refused, verdict.refused === 'tenant' ? limits.tenantPerMinute : limits.keyPerMinute, verdict.ms) : undefined,
    };
  };
}

export type Admission = ReturnType<typeof admission>;

/** The /v1 routes' admission, as middleware. */
export function admit(admitted: Admission): Middleware<ApiState> {
  return async (ctx, next) => {
    const { caller, keyPerMinute, remaining, limited } = await admitted(ctx.ip, { authorization: ctx.get('Authorization') || undefined });
    ctx.state.caller = caller;
    if (limited) throw limited;
    ctx.set('X-RateLimit-Limit', String(keyPerMinute));
    ctx.set('X-RateLimit-Remaining', String(remaining));
    await next();
  };
}

function limited(scope: Refused, points: number, ms: number): AppError {
  const seconds = retryAfterSeconds(ms);
  return new AppError('RATE_LIMITED', `rate limit of ${points} requests per minute per ${scope} reached`, undefined, {
    'Retry-After': String(seconds),
    'X-RateLimit-Limit': String(points),
    'X-RateLimit-Remaining': '0',
  });
}
