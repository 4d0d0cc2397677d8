import { Redis } from 'ioredis';
import type { Config } from '../../../lib/config.js';
import { closeRedis } from '../../../lib/infra/redis.js';
import { found, type Needle, type StoreScan, type TraceHit } from './needles.js';

// Every key under the deployment's prefix, by name and by value, whatever its type.

async function valuesOf(redis: Redis, key: string): Promise<Buffer[]> {
  const type = await redis.type(key);
  switch (type) {
    case 'string':
      return [(await redis.getBuffer(key)) ?? Buffer.alloc(0)];
    case 'hash':
      return redis.hgetallBuffer(key).then((h) => Object.entries(h).flatMap(([f, v]) => [Buffer.from(f), v]));
    case 'set':
      return redis.smembersBuffer(key);
    case 'zset':
      return redis.zrangeBuffer(key, '0', '-1');
    case 'list':
      return redis.lrangeBuffer(key, 0, -1);
    case 'stream':
      return (await redis.xrangeBuffer(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]);
    default:
      return [];
  }
}

/** A client of its own, without the key prefix: SCAN answers whole names, and each is read as it is. */
export async function scanRedis(config: Config, needles: readonly Needle[]): Promise<StoreScan> {
  const redis = new Redis(config.env.SCAIWAVE_REDIS_URL, { maxRetriesPerRequest: 2 });
  try {
    return await scanKeys(redis, config.env.SCAIWAVE_REDIS_PREFIX, needles);
  } finally {
    await closeRedis(redis);
  }
}

async function scanKeys(redis: Redis, prefix: string, needles: readonly Needle[]): Promise<StoreScan> {
  const hits: TraceHit[] = [];
  let read = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      read += 1;
      const hitBy = new Set([...found(Buffer.from(key), needles), ...(await valuesOf(redis, key)).flatMap((v) => found(v, needles))]);
      for (const n of hitBy) hits.push({ store: 'redis', where: key, needle: n.label, count: 1 });
    }
  } while (cursor !== '0');
  return { store: 'redis', read, hits, skipped: [] };
}
