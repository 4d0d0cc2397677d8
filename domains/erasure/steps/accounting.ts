import type { Config } from '../../../lib/config.js';
import type { Db } from '../../../lib/infra/db.js';
import type { Redis } from '../../../lib/infra/redis.js';
import { batchKey } from '../../accounting/flush.js';
import { LIVE_KEY, luaScript } from '../../accounting/usage.js';
import { inBatch, type BatchOutcome } from '../batch.js';

// Usage keeps its figures and loses the user (domains/accounting/usage.ts has
// the key layout): in every usage hash, a field whose `|`-separated parts name
// the user is added onto the same field naming the pseudonym, and removed. One
// script for all the hashes, so a flush's RENAME sees a hash before or after,
// never half-moved, and a repeat finds nothing left to move. The rows already
// flushed to usage_daily are pseudonymised with the other references.

const MOVE_USER_FIELDS = luaScript(`
local moved = 0
for _, key in ipairs(KEYS) do
  local fields = redis.call('HGETALL', key)
  for i = 1, #fields, 2 do
    local f = fields[i]
    local parts = {}
    local hit = false
    for part in string.gmatch(f, '[^|]+') do
      if part == ARGV[1] then part = ARGV[2]; hit = true end
      parts[#parts + 1] = part
    end
    if hit then
      redis.call('HINCRBY', key, table.concat(parts, '|'), fields[i + 1])
      redis.call('HDEL', key, f)
      moved = moved + 1
    end
  end
end
return moved
`);

/** Every usage hash of the deployment that may name a tenant's user: live, claimed batches, the tenant's month totals. */
async function usageHashes(redis: Redis, prefix: string, tenantId: string): Promise<string[]> {
  const keys = [LIVE_KEY];
  for (const pattern of [`${prefix}${batchKey('*')}`, `${prefix}usage:month:*:${tenantId}`]) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      // SCAN answers whole key names; the client adds the prefix to the script's keys itself.
      keys.push(...found.map((k) => k.slice(prefix.length)));
    } while (cursor !== '0');
  }
  return keys;
}

export async function pseudonymiseUsage(deps: { db: Db; redis: Redis; config: Config }, erasureId: string): Promise<BatchOutcome> {
  return inBatch(deps.db, erasureId, 'accounting', 0, async (_tx, e) => {
    const keys = await usageHashes(deps.redis, deps.config.env.SCAIWAVE_REDIS_PREFIX, e.tenantId);
    const moved = Number(await MOVE_USER_FIELDS(deps.redis, keys, [e.userId, e.pseudonymId]));
    return { removed: moved, more: false, proof: { redis_hashes_read: keys.length, redis_fields_moved: moved } };
  });
}
