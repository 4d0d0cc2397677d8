import type { Redis } from '../infra/redis.js';

// Fixed one-minute windows in Redis, shared by every API pod. A window is one
// counter key, `rl:<scope>:<id>` under the deployment's prefix, that lives a
// minute from its first count: the keys and the counting (SET NX EX, INCR) are
// rate-limiter-flexible's, which kept them before, so pods old and new share
// their counts during a rolling deploy. Two windows decide whether a request
// goes on:
//
//   tenant     requests per tenant, every key and user of it together
//   key        requests per credential: the API key, or `user:<id>` for a JWT
//
// and three count failed authentications, read and counted by `failures` (the
// rule they serve is auth-failures.ts's):
//
//   authfail   per client address
//   credfail   per credential named (lib/auth/credential-names.ts), from any address
//   pairfail   per credential named and client address together
//
// An admitted request costs one round trip: `admit` consumes the tenant's and
// the credential's windows in one script, in that order, stopping at the first
// refusal (a refused tenant leaves the credential's window alone). The
// admissions asked for in one event-loop turn share that round trip: one script
// call decides them one after the other, as if each had been its own call. A
// refused request still counts in the window that refused it, so hammering
// never resets it. The keys are not hash-tagged: this assumes one Redis, not
// Redis Cluster.

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

// KEYS: tenant, key of each request. ARGV: window seconds, then tenant limit, key limit of each.
// Answers {verdict, ms, consumed} per request: 0 admitted, 1 tenant refused, 2 key refused.
const ADMIT = `${COUNT}
local function admit(t, k, tenantLimit, keyLimit, seconds)
  local n, ttl = count(t, seconds)
  if n > tenantLimit then return 1, ttl, n end
  n, ttl = count(k, seconds)
  if n > keyLimit then return 2, ttl, n end
  return 0, ttl, n
end
local out = {}
for i = 0, #KEYS / 2 - 1 do
  local v, ms, n = admit(KEYS[2 * i + 1], KEYS[2 * i + 2], tonumber(ARGV[2 * i + 2]), tonumber(ARGV[2 * i + 3]), ARGV[1])
  out[3 * i + 1] = v
  out[3 * i + 2] = ms
  out[3 * i + 3] = n
end
return out
`;

/** Most admissions decided by one script call: keeps Redis free for other clients between calls. */
const MAX_BATCH = 64;

// KEYS: failure windows. ARGV: window seconds, 1 to count a failure, then each window's limit.
// Answers {failures, ms} per window: its count before this call, and what is left of it after
// (0 or less: no window running). A window at its limit is not counted again, so a refused
// guesser never makes it last longer.
const FAILURES = `${COUNT}
local out = {}
for i, key in ipairs(KEYS) do
  local n, ms = failures(key)
  if ARGV[2] == '1' and n < tonumber(ARGV[2 + i]) then
    local _
    _, ms = count(key, ARGV[1])
  end
  out[2 * i - 1] = n
  out[2 * i] = ms
end
return out
`;

export type Refused = 'tenant' | 'key';

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
  tenantPerMinute: number;
  keyPerMinute: number;
}

/** Failed authentications per minute: per client address, and per credential named. */
export interface FailureLimits {
  address: number;
  credential: number;
}

interface FailureWindow {
  /** failures counted before this call */
  failures: number;
  /** until the window ends; 0 or less when none runs */
  ms: number;
}

/** What the failure windows of one presentation hold. */
export interface Failures {
  address: FailureWindow;
  /** null when the presentation names no credential */
  credential: { anywhere: FailureWindow; fromAddress: FailureWindow } | null;
}

type Scripted = Redis & {
  scaiwaveAdmit(numberOfKeys: number, ...keysThenArgv: (string | number)[]): Promise<number[]>;
  scaiwaveFailures(numberOfKeys: number, ...keysThenArgv: (string | number)[]): Promise<number[]>;
};

const VERDICTS: (Refused | null)[] = [null, 'tenant', 'key'];

interface Asked {
  keys: [string, string];
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
    redis.defineCommand('scaiwaveFailures', { lua: FAILURES });
    this.redis = redis as Scripted;
  }

  /** The tenant's and the credential's windows consumed: one round trip. */
  admit(tenantId: string, credential: string, limits: Limits): Promise<Verdict> {
    return new Promise((resolve, reject) => {
      // Every socket read of this turn comes first, so requests that arrived together leave in one write.
      if (this.queued.length === 0) setImmediate(() => this.sendQueued());
      this.queued.push({ keys: [`rl:tenant:${tenantId}`, `rl:key:${credential}`], limits, resolve, reject });
    });
  }

  private sendQueued(): void {
    const queued = this.queued;
    this.queued = [];
    for (let i = 0; i < queued.length; i += MAX_BATCH) void this.send(queued.slice(i, i + MAX_BATCH));
  }

  private async send(batch: Asked[]): Promise<void> {
    const keys = batch.flatMap((a) => a.keys);
    const argv = batch.flatMap(({ limits: l }) => [l.tenantPerMinute, l.keyPerMinute]);
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

  /**
   * The failure windows of a presentation from `address` naming `credential`
   * (null: it names none), as they stood; `count` adds this one to each not
   * yet at its limit. One round trip.
   */
  async failures(address: string, credential: string | null, limits: FailureLimits, count: boolean): Promise<Failures> {
    const keys = [`rl:authfail:${address}`];
    const argv = [limits.address];
    if (credential !== null) {
      keys.push(`rl:credfail:${credential}`, `rl:pairfail:${credential}:${address}`);
      argv.push(limits.credential, limits.credential);
    }
    const answers = await this.redis.scaiwaveFailures(keys.length, ...keys, WINDOW_SECONDS, count ? 1 : 0, ...argv);
    const window = (i: number): FailureWindow => ({ failures: answers[2 * i]!, ms: answers[2 * i + 1]! });
    return { address: window(0), credential: credential === null ? null : { anywhere: window(1), fromAddress: window(2) } };
  }
}
