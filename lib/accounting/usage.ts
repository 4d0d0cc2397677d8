import type { Redis } from '../redis.js';

// Usage is counted in Redis as it happens (fast, shared by every pod) and
// flushed to MariaDB later. Each event carries an id; the first recording wins,
// so a retried activity or request never counts twice.

export type UsageKind = 'transcription' | 'inference' | 'embedding';

export interface UsageEvent {
  eventId: string;
  tenantId: string;
  userId: string;
  kind: UsageKind;
  at: Date;
  requests?: number;
  tokens?: number;
  audioMs?: number;
}

const dedupeSeconds = 14 * 24 * 3600;

export const usageCounterKey = (e: Pick<UsageEvent, 'tenantId' | 'userId' | 'kind' | 'at'>): string =>
  `usage:counter:${e.at.toISOString().slice(0, 10)}:${e.tenantId}:${e.userId}:${e.kind}`;

const script = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then return 0 end
redis.call('HINCRBY', KEYS[2], 'requests', ARGV[2])
redis.call('HINCRBY', KEYS[2], 'tokens', ARGV[3])
redis.call('HINCRBY', KEYS[2], 'audio_ms', ARGV[4])
redis.call('SADD', KEYS[3], ARGV[5])
return 1`;

/** Returns false when this event was already counted. Atomic: dedupe mark and counters move together. */
export async function recordUsage(redis: Redis, e: UsageEvent): Promise<boolean> {
  const counter = usageCounterKey(e);
  const added = (await redis.eval(
    script,
    3,
    `usage:event:${e.eventId}`,
    counter,
    'usage:dirty',
    dedupeSeconds,
    e.requests ?? 1,
    e.tokens ?? 0,
    e.audioMs ?? 0,
    counter,
  )) as number;
  return added === 1;
}

export async function readUsage(
  redis: Redis,
  key: Pick<UsageEvent, 'tenantId' | 'userId' | 'kind' | 'at'>,
): Promise<{ requests: number; tokens: number; audioMs: number }> {
  const h = await redis.hgetall(usageCounterKey(key));
  return { requests: Number(h.requests ?? 0), tokens: Number(h.tokens ?? 0), audioMs: Number(h.audio_ms ?? 0) };
}
