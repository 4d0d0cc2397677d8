import { Redis } from 'ioredis';
import type { Config } from './config.js';

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
