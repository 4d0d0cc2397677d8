import { createHash } from 'node:crypto';
import type { Redis } from '../infra/redis.js';

// Usage is counted in Redis as it happens (fast, shared by every pod) and moved
// to MariaDB by the accounting flush (flush.ts). Each event carries an id; the
// first recording wins, so a retried activity or request never counts twice.
//
// Keys (all under SCAIWAVE_REDIS_PREFIX):
//   usage:event:{eventId}           dedupe mark of one event
//   usage:live                      what the next flush takes: one hash, so a flush can
//                                   snapshot it with a single RENAME while events keep arriving
//                                   fields "{day}|{tenant}|{user}|{kind}|{metric}", plus "_since"
//                                   (ms of the first event in it, for flush lag)
//   usage:month:{yyyy-mm}:{tenant}  month-to-date totals the budget check reads; never flushed
//                                   fields "{metric}", "{user}|{metric}", "{user}|{kind}|{metric}"

export const USAGE_KINDS = ['transcription', 'inference', 'embedding'] as const;
export type UsageKind = (typeof USAGE_KINDS)[number];

export const METRICS = ['requests', 'tokens', 'audio_ms'] as const;
export type Metric = (typeof METRICS)[number];
export type Amounts = Record<Metric, number>;

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

export const LIVE_KEY = 'usage:live';
export const SINCE_FIELD = '_since';
const DEDUPE_SECONDS = 14 * 24 * 3600;
// Two months: a month's totals must outlive the month for late budget checks and reads.
const MONTH_TOTALS_SECONDS = 62 * 24 * 3600;

export const monthOf = (at: Date): string => at.toISOString().slice(0, 7);
const monthTotalsKey = (tenantId: string, month: string): string => `usage:month:${month}:${tenantId}`;

const RECORD = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then return 0 end
redis.call('HSETNX', KEYS[2], '${SINCE_FIELD}', ARGV[6])
local metrics = {'requests', 'tokens', 'audio_ms'}
for i = 1, 3 do
  local n = tonumber(ARGV[6 + i])
  if n ~= 0 then
    local m = metrics[i]
    redis.call('HINCRBY', KEYS[2], ARGV[2] .. '|' .. m, n)
    redis.call('HINCRBY', KEYS[3], m, n)
    redis.call('HINCRBY', KEYS[3], ARGV[3] .. '|' .. m, n)
    redis.call('HINCRBY', KEYS[3], ARGV[3] .. '|' .. ARGV[4] .. '|' .. m, n)
  end
end
redis.call('EXPIRE', KEYS[3], ARGV[5], 'NX')
return 1`;

/** EVALSHA with a fallback to EVAL when the server has not seen the script yet (first call, restart). */
export function luaScript(source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}

const record = luaScript(RECORD);

const whole = (n: number | undefined, name: string): number => {
  const v = n ?? 0;
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`usage ${name} must be a whole number ≥ 0, got ${n}`);
  return v;
};

/** Returns false when this event was already counted. Atomic: dedupe mark, flush queue and totals move together. */
export async function recordUsage(redis: Redis, e: UsageEvent): Promise<boolean> {
  const day = e.at.toISOString().slice(0, 10);
  const added = await record(
    redis,
    [`usage:event:${e.eventId}`, LIVE_KEY, monthTotalsKey(e.tenantId, monthOf(e.at))],
    [
      DEDUPE_SECONDS,
      `${day}|${e.tenantId}|${e.userId}|${e.kind}`,
      e.userId,
      e.kind,
      MONTH_TOTALS_SECONDS,
      Date.now(),
      whole(e.requests ?? 1, 'requests'),
      whole(e.tokens, 'tokens'),
      whole(e.audioMs, 'audioMs'),
    ],
  );
  return added === 1;
}

const amountsOf = (values: (string | null)[]): Amounts => ({
  requests: Number(values[0] ?? 0),
  tokens: Number(values[1] ?? 0),
  audio_ms: Number(values[2] ?? 0),
});

/** Month-to-date totals of a tenant and, when given, of one of its users; counted as events arrive, before any flush. */
export async function monthTotals(
  redis: Redis,
  tenantId: string,
  at: Date,
  userId?: string,
): Promise<{ tenant: Amounts; user: Amounts | null }> {
  const fields = userId === undefined ? [...METRICS] : [...METRICS, ...METRICS.map((m) => `${userId}|${m}`)];
  const values = await redis.hmget(monthTotalsKey(tenantId, monthOf(at)), ...fields);
  return { tenant: amountsOf(values.slice(0, 3)), user: userId === undefined ? null : amountsOf(values.slice(3)) };
}

/** Month-to-date usage of one user for one kind (the month that contains `at`). */
export async function readUsage(
  redis: Redis,
  key: Pick<UsageEvent, 'tenantId' | 'userId' | 'kind' | 'at'>,
): Promise<{ requests: number; tokens: number; audioMs: number }> {
  const a = amountsOf(
    await redis.hmget(monthTotalsKey(key.tenantId, monthOf(key.at)), ...METRICS.map((m) => `${key.userId}|${key.kind}|${m}`)),
  );
  return { requests: a.requests, tokens: a.tokens, audioMs: a.audio_ms };
}
