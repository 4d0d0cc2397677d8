import { publishCredentialChange } from '../../../lib/auth/credential-changes.js';
import type { Config } from '../../../lib/config.js';
import type { Db } from '../../../lib/infra/db.js';
import type { Redis } from '../../../lib/infra/redis.js';
import { erasureOf, inBatch, type BatchOutcome } from '../batch.js';
import { erasedSubject } from '../../../lib/tenancy/user-fields.js';

/** Every key of the deployment whose name holds the user's id (their rate-limit windows), removed; how many, not which: the names hold the id. */
async function dropUserKeys(redis: Redis, prefix: string, userId: string): Promise<number> {
  let removed = 0;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*${userId}*`, 'COUNT', 1000);
    cursor = next;
    // SCAN answers whole key names; the client adds the prefix to UNLINK's keys itself.
    if (found.length > 0) removed += await redis.unlink(...found.map((k) => k.slice(prefix.length)));
  } while (cursor !== '0');
  return removed;
}

/**
 * First, so nothing new arrives: the user's API keys deleted, and their row
 * becomes the pseudonym (blank profile, no roles, status `erased`, the subject
 * hashed), so no key or token of theirs is honoured again; their Redis keys
 * go with it. Then every API process drops what it cached of them.
 */
export async function eraseIdentity(deps: { db: Db; redis: Redis; config: Config }, erasureId: string): Promise<BatchOutcome> {
  const outcome = await inBatch(deps.db, erasureId, 'identity', 0, async (tx, e) => {
    const user = await tx.user.findUnique({ where: { id: e.userId } });
    const keys = await tx.apiKey.findMany({ where: { userId: e.userId }, select: { id: true } });
    await tx.apiKey.deleteMany({ where: { userId: e.userId } });
    if (user) {
      await tx.user.update({
        where: { id: e.userId },
        data: {
          id: e.pseudonymId,
          scaikeySubject: erasedSubject(e.tenantId, user.scaikeySubject),
          email: null,
          displayName: null,
          roles: [],
          status: 'erased',
          deactivatedAt: user.deactivatedAt ?? new Date(),
        },
      });
    }
    const redisKeys = await dropUserKeys(deps.redis, deps.config.env.SCAIWAVE_REDIS_PREFIX, e.userId);
    return {
      removed: keys.length + (user ? 1 : 0) + redisKeys,
      more: false,
      proof: { api_keys_deleted: keys.map((k) => k.id), profile_blanked: user !== null, redis_keys_deleted: redisKeys },
    };
  });
  // Also when the batch was done before: a crash may have come between its commit and this.
  const e = await erasureOf(deps.db, erasureId);
  await publishCredentialChange(deps.redis, deps.config.env.SCAIWAVE_REDIS_PREFIX, { kind: 'user', tenantId: e.tenantId, userId: e.userId });
  return outcome;
}
