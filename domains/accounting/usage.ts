import { createHash } from 'node:crypto';
import type { Redis } from '../../lib/infra/redis.js';

// Usage is counted in Redis as it happens (fast, shared by every pod) and moved
// to MariaDB by the accounting flush (flush.ts). Each event carries an id; the
// first recording wins, so a retried activity or request never counts twice.
// An event's dedupe mark, its flush counters and its month totals are written by
// one script, so a flush's RENAME of usage:live sees all of an event or none of it.
//
// Keys (all under SCAIWAVE_REDIS_PREFIX):
//   usage:event:{eventId}           dedupe mark of one event
//   usage:live                      what the next flush takes: one hash, so a flush can
//                                   snapshot it with a single RENAME while events keep arriving
//                                   fields "{day}|{tenant}|{user}|{kind}|{metric}", plus "_since"
//                                   (ms of the first event in it, for flush lag)
//   usage:month:{yyyy-mm}:{tenant}  month-to-date totals the budget check reads; never flushed
//                                   fields "{metric}" (the tenant) and "{user}|{kind}|{metric}";
//                                   a user's total is the sum over kinds. Code before the batched
//                                   script also wrote "{user}|{metric}": nothing reads it any more.

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

// One script call records a whole batch of events: the events recordUsage was
// given on one connection while the previous batch was on its way (see
// `recorder`). Each event is still all-or-nothing against a flush's RENAME and
// against a retry, because a script runs atomically.
//   KEYS  usage:live, then per event: its dedupe mark, its month totals
//   ARGV  dedupe s, month totals s, now ms, then per event: "{day}|{tenant}|{user}|{kind}",
//         user, kind, requests, tokens, audio_ms
// Returns one 1 (counted) or 0 (seen before) per event, in order.
const RECORD = `
local metrics = {'requests', 'tokens', 'audio_ms'}
local added, expiring, since = {}, {}, false
for e = 1, (#KEYS - 1) / 2 do
  local mark, month, a = KEYS[2 * e], KEYS[2 * e + 1], 3 + (e - 1) * 6
  if redis.call('SET', mark, '1', 'NX', 'EX', ARGV[1]) then
    if not since then
      redis.call('HSETNX', KEYS[1], '${SINCE_FIELD}', ARGV[3])
      since = true
    end
    local row, userKind = ARGV[a + 1], ARGV[a + 2] .. '|' .. ARGV[a + 3]
    for i = 1, 3 do
      local n = tonumber(ARGV[a + 3 + i])
      if n ~= 0 then
        local m = metrics[i]
        redis.call('HINCRBY', KEYS[1], row .. '|' .. m, n)
        redis.call('HINCRBY', month, m, n)
        redis.call('HINCRBY', month, userKind .. '|' .. m, n)
      end
    end
    if not expiring[month] then
      redis.call('EXPIRE', month, ARGV[2], 'NX')
      expiring[month] = true
    end
    added[e] = 1
  else
    added[e] = 0
  end
end
return added`;

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

/** Events per script call: enough to share its cost, few enough that Redis is never busy with one for long. */
const MAX_EVENTS_PER_CALL = 100;

interface Queued {
  keys: [string, string];
  args: (string | number)[];
  settle: { resolve(added: boolean): void; reject(err: unknown): void };
}

/** Events waiting for the next script call, per connection. */
const queues = new WeakMap<Redis, Queued[]>();

/**
 * Sends what queued on `redis` since the last call, up to MAX_EVENTS_PER_CALL
 * events per script. A call that fails rejects all of its events; a retry of
 * any of them is then told whether it was counted (dedupe), as after a lost reply.
 */
function sendQueued(redis: Redis): void {
  const queued = queues.get(redis) ?? [];
  queues.delete(redis);
  for (let i = 0; i < queued.length; i += MAX_EVENTS_PER_CALL) {
    const batch = queued.slice(i, i + MAX_EVENTS_PER_CALL);
    const keys = [LIVE_KEY, ...batch.flatMap((q) => q.keys)];
    const args = [DEDUPE_SECONDS, MONTH_TOTALS_SECONDS, Date.now(), ...batch.flatMap((q) => q.args)];
    record(redis, keys, args).then(
      (added) => batch.forEach((q, j) => q.settle.resolve((added as number[])[j] === 1)),
      (err: unknown) => batch.forEach((q) => q.settle.reject(err)),
    );
  }
}

/**
 * Returns false when this event was already counted. Atomic: dedupe mark, flush
 * queue and totals move together. Calls made in the same turn of the event loop
 * share one script call.
 */
export async function recordUsage(redis: Redis, e: UsageEvent): Promise<boolean> {
  const day = e.at.toISOString().slice(0, 10);
  const amounts = [whole(e.requests ?? 1, 'requests'), whole(e.tokens, 'tokens'), whole(e.audioMs, 'audioMs')];
  const month = day.slice(0, 7);
  return new Promise((resolve, reject) => {
    let queued = queues.get(redis);
    if (!queued) {
      queues.set(redis, (queued = []));
      setImmediate(() => sendQueued(redis));
    }
    queued.push({
      keys: [`usage:event:${e.eventId}`, monthTotalsKey(e.tenantId, month)],
      args: [`${day}|${e.tenantId}|${e.userId}|${e.kind}`, e.userId, e.kind, ...amounts],
      settle: { resolve, reject },
    });
  });
}

const amountsOf = (values: (string | null)[]): Amounts => ({
  requests: Number(values[0] ?? 0),
  tokens: Number(values[1] ?? 0),
  audio_ms: Number(values[2] ?? 0),
});

/**
 * Month-to-date totals of a tenant and, when given, of one of its users; counted as events arrive, before any flush.
 * A user's total is the sum of its per-kind fields (one HMGET either way).
 */
export async function monthTotals(
  redis: Redis,
  tenantId: string,
  at: Date,
  userId?: string,
): Promise<{ tenant: Amounts; user: Amounts | null }> {
  const perKind = userId === undefined ? [] : USAGE_KINDS.flatMap((k) => METRICS.map((m) => `${userId}|${k}|${m}`));
  const values = await redis.hmget(monthTotalsKey(tenantId, monthOf(at)), ...METRICS, ...perKind);
  if (userId === undefined) return { tenant: amountsOf(values), user: null };
  const user: Amounts = { requests: 0, tokens: 0, audio_ms: 0 };
  for (let k = 0; k < USAGE_KINDS.length; k++) {
    const a = amountsOf(values.slice(3 + 3 * k, 6 + 3 * k));
    for (const m of METRICS) user[m] += a[m];
  }
  return { tenant: amountsOf(values.slice(0, 3)), user };
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
