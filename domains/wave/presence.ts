import type { Redis } from '../../lib/infra/redis.js';

// Presence: online or away, in Redis with a time to live, so a client that
// vanishes without a word goes offline by itself. A WebSocket keeps its user
// online while it is open; other clients say so with PUT /v1/wave/presence.

export const PRESENCE = ['online', 'away'] as const;
export type Presence = (typeof PRESENCE)[number];
const PRESENCE_TTL_SECONDS = 60;

const key = (tenantId: string, userId: string): string => `wave:presence:${tenantId}:${userId}`;

export async function setPresence(redis: Redis, tenantId: string, userId: string, status: Presence): Promise<void> {
  await redis.set(key(tenantId, userId), status, 'EX', PRESENCE_TTL_SECONDS);
}

/** Each user's presence; absent (expired or never set) is offline. */
export async function presenceOf(redis: Redis, tenantId: string, userIds: string[]): Promise<Map<string, Presence | 'offline'>> {
  const values = userIds.length === 0 ? [] : await redis.mget(userIds.map((u) => key(tenantId, u)));
  return new Map(userIds.map((u, i) => [u, (values[i] as Presence | null) ?? 'offline']));
}
