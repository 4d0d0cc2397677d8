import type { Middleware } from 'koa';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../../lib/errors.js';
import type { Redis } from '../../lib/infra/redis.js';
import type { RateLimits } from '../../lib/tenancy/tenant-limits.js';
import { callerOf } from './auth.js';
import type { ApiState } from '../state.js';

/**
 * Two fixed one-minute windows in Redis, shared by every API pod: one per tenant,
 * one per credential (API key, or user for JWT callers). Limits differ per tenant,
 * so limiters are kept per (scope, limit).
 */
export function rateLimit(redis: Redis, limitsFor: (tenantId: string) => Promise<RateLimits>): Middleware<ApiState> {
  const limiters = new Map<string, RateLimiterRedis>();
  const limiter = (scope: string, points: number): RateLimiterRedis => {
    const id = `${scope}:${points}`;
    let l = limiters.get(id);
    if (!l) {
      l = new RateLimiterRedis({ storeClient: redis, keyPrefix: `rl:${scope}`, points, duration: 60 });
      limiters.set(id, l);
    }
    return l;
  };

  const consume = async (scope: string, points: number, key: string): Promise<RateLimiterRes> => {
    try {
      return await limiter(scope, points).consume(key);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      throw new AppError('RATE_LIMITED', `rate limit of ${points} requests per minute per ${scope} reached`, undefined, {
        'Retry-After': String(seconds),
        'X-RateLimit-Limit': String(points),
        'X-RateLimit-Remaining': '0',
      });
    }
  };

  return async (ctx, next) => {
    const caller = callerOf(ctx.state);
    const limits = await limitsFor(caller.tenantId);
    await consume('tenant', limits.tenantPerMinute, caller.tenantId);
    const keyRes = await consume('key', limits.keyPerMinute, caller.apiKeyId ?? `user:${caller.userId}`);
    ctx.set('X-RateLimit-Limit', String(limits.keyPerMinute));
    ctx.set('X-RateLimit-Remaining', String(keyRes.remainingPoints));
    await next();
  };
}
