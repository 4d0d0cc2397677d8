import type { Redis } from '../../lib/infra/redis.js';

// Fixed one-minute windows in Redis, shared by every API pod. A window is one
// counter key, `rl:<scope>:<id>` under the deployment's prefix, that lives a
// minute from its first count: the keys and the counting (SET NX EX, INCR) are
// rate-limiter-flexible's, which kept them before, so pods old and new share
// their counts during a rolling deploy. Three windows decide whether a request
// goes on:
//
//   authfail   failed authentications per client address; at the limit the
//              address is refused whatever it presents
//   tenant     requests per tenant, every key and user of it together
//   key        requests per credential: the API key, or `user:<id>` for a JWT
//
// A request costs one round trip: `admit` checks the address's failures and
// consumes the tenant's and the credential's windows in one script, in that
// order, stopping at the first refusal (a refused address consumes nothing; a
// refused tenant leaves the credential's window alone). The admissions asked
// for in one event-loop turn share that round trip: one script call decides
// them one after the other, as if each had been its own call. A refused request
// still counts in the window that refused it, so hammering never resets it.
// The keys are not hash-tagged: this assumes one Redis, not Redis Cluster.

const WINDOW_SECONDS = 60;

const COUNT = `
local function count(key, seconds)
  redis.call('set', key, 0, 'EX', seconds, 'NX')
  local n = redis.call('incr', key)
  local ttl = redis.call('pttl', key)
  if ttl == -1 then
    redis.call('expire', key, seconds)
    ttl = 1000 * seconds
  end
  return n, ttl
end
local function failures(key)
  local n = tonumber(redis.call('get', key) or '0')
  return n, redis.call('pttl', key)
end
`;

// KEYS: authfail, tenant, key of each request. ARGV: window seconds, then failure limit, tenant limit, key limit of each.
// Answers {verdict, ms, consumed} per request: 0 admitted, 1 address refused, 2 tenant refused, 3 key refused.
const ADMIT = `${COUNT}
local function admit(a, t, k, failLimit, tenantLimit, keyLimit, seconds)
  local failed, failedTtl = failures(a)
  if failed >= failLimit then return 1, failedTtl, failed end
  local n, ttl = count(t, seconds)
  if n > tenantLimit then return 2, ttl, n end
  n, ttl = count(k, seconds)
  if n > keyLimit then return 3, ttl, n end
  return 0, ttl, n
end
local out = {}
for i = 0, #KEYS / 3 - 1 do
  local v, ms, n = admit(KEYS[3 * i + 1], KEYS[3 * i + 2], KEYS[3 * i + 3],
    tonumber(ARGV[3 * i + 2]), tonumber(ARGV[3 * i + 3]), tonumber(ARGV[3 * i + 4]), ARGV[1])
  out[3 * i + 1] = v
  out[3 * i + 2] = ms
  out[3 * i + 3] = n
end
return out
`;

/** Most admissions decided by one script call: keeps Redis free for other clients between calls. */
const MAX_BATCH = 64;

// KEYS: authfail. ARGV: failure limit, window seconds, 1 to count a failure.
// Answers {refused, ms}: an address already at the limit is refused and not counted again.
const FAIL = `${COUNT}
local failed, failedTtl = failures(KEYS[1])
if failed >= tonumber(ARGV[1]) then return {1, failedTtl} end
if ARGV[3] == '1' then count(KEYS[1], ARGV[2]) end
return {0, 0}
`;

export type Refused = 'address' | 'tenant' | 'key';

/** Whole seconds until a window lets the caller in again, as Retry-After says it: never 0. */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

export interface Verdict {
  refused: Refused | null;
  /** until the refusing window ends, or the credential's window when admitted */
  ms: number;
  /** the credential's count in its window, when admitted */
  consumed: number;
}

export interface Limits {
  failuresPerMinute: number;
  tenantPerMinute: number;
  keyPerMinute: number;
}

type Scripted = Redis & {
  scaiwaveAdmit(numberOfKeys: number, ...keysThenArgv: (string | number)[]): Promise<number[]>;
  scaiwaveAuthFail(a: string, ...argv: (string | number)[]): Promise<[number, number]>;
};

const VERDICTS: (Refused | null)[] = [null, 'address', 'tenant', 'key'];

interface Asked {
  keys: [string, string, string];
  limits: Limits;
  resolve(verdict: Verdict): void;
  reject(err: unknown): void;
}

export class Windows {
  private readonly redis: Scripted;
  private queued: Asked[] = [];

  constructor(redis: Redis) {
    // defineCommand sends EVALSHA, falling back to EVAL once per connection; keys get the client's prefix.
    redis.defineCommand('scaiwaveAdmit', { lua: ADMIT });
    redis.defineCommand('scaiwaveAuthFail', { numberOfKeys: 1, lua: FAIL });
    this.redis = redis as Scripted;
  }

  /** The address's failures checked, then the tenant's and the credential's windows consumed: one round trip. */
  admit(address: string, tenantId: string, credential: string, limits: Limits): Promise<Verdict> {
    return new Promise((resolve, reject) => {
      // Every socket read of this turn comes first, so requests that arrived together leave in one write.
      if (this.queued.length === 0) setImmediate(() => this.sendQueued());
      this.queued.push({ keys: [`rl:authfail:${address}`, `rl:tenant:${tenantId}`, `rl:key:${credential}`], limits, resolve, reject });
    });
  }

  private sendQueued(): void {
    const queued = this.queued;
    this.queued = [];
    for (let i = 0; i < queued.length; i += MAX_BATCH) void this.send(queued.slice(i, i + MAX_BATCH));
  }

  private async send(batch: Asked[]): Promise<void> {
    const keys = batch.flatMap((a) => a.keys);
    const argv = batch.flatMap(({ limits: l }) => [l.failuresPerMinute, l.tenantPerMinute, l.keyPerMinute]);
    try {
      const answers = await this.redis.scaiwaveAdmit(keys.length, ...keys, WINDOW_SECONDS, ...argv);
      batch.forEach((a, i) => {
        const [verdict, ms, consumed] = answers.slice(3 * i, 3 * i + 3) as [number, number, number];
        a.resolve({ refused: VERDICTS[verdict] ?? null, ms, consumed });
      });
    } catch (err) {
      for (const a of batch) a.reject(err);
    }
  }

  /** After a refused credential: is the address already at its limit (then ms until it is not), else counts it when `count`. */
  async failed(address: string, failuresPerMinute: number, count: boolean): Promise<number | null> {
    const [refused, ms] = await this.redis.scaiwaveAuthFail(`rl:authfail:${address}`, failuresPerMinute, WINDOW_SECONDS, count ? 1 : 0);
    return refused === 1 ? ms : null;
  }

  /** Whether the address is at its failure limit (ms until it is not), without counting anything. */
  failing(address: string, failuresPerMinute: number): Promise<number | null> {
    return this.failed(address, failuresPerMinute, false);
  }
}
