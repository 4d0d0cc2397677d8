import { RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../../lib/errors.js';
import type { Redis } from '../../lib/infra/redis.js';

/**
 * Failed authentications per client address, in a one-minute window shared by
 * every API pod. Past the limit an address gets 429 with Retry-After before its
 * credential is even looked at, so guessing keys or replaying stolen tokens in
 * bulk costs the attacker a minute per handful of tries and costs us no lookup.
 * Successful requests never count.
 */
export class AuthFailureLimiter {
  private readonly limiter: RateLimiterRedis;

  constructor(
    redis: Redis,
    private readonly perMinute: number,
  ) {
    this.limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'rl:authfail', points: perMinute, duration: 60 });
  }

  /** Runs one authentication attempt from `address`, counting it if it is refused. */
  async attempt<T>(address: string, authenticate: () => Promise<T>): Promise<T> {
    const seen = await this.limiter.get(address);
    if (seen && seen.consumedPoints >= this.perMinute) throw this.refusal(seen);
    try {
      return await authenticate();
    } catch (err) {
      if (err instanceof AppError && err.code === 'UNAUTHORIZED') await this.limiter.penalty(address, 1);
      throw err;
    }
  }

  private refusal(res: RateLimiterRes): AppError {
    const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    return new AppError('RATE_LIMITED', `too many failed authentications from this address; retry in ${seconds} s`, undefined, {
      'Retry-After': String(seconds),
    });
  }
}
