import { Redis } from 'ioredis';
import type { Config } from '../config.js';

export type { Redis };

/** Every key goes under SCAIWAVE_REDIS_PREFIX, so runs and deployments sharing a Redis never collide. */
export function createRedis(config: Config, opts: { lazyConnect?: boolean } = {}): Redis {
  return new Redis(config.env.SCAIWAVE_REDIS_URL, {
    keyPrefix: config.env.SCAIWAVE_REDIS_PREFIX,
    lazyConnect: opts.lazyConnect ?? false,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
  });
}

/**
 * QUIT waits for Redis to answer, forever if it hangs; shutdown must not. After
 * `timeoutMs` the socket is dropped instead.
 */
export async function closeRedis(redis: Redis, timeoutMs = 1000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    redis.quit().catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
  redis.disconnect();
}
