import type { Db } from '../../lib/infra/db.js';
import type { Redis } from '../../lib/infra/redis.js';
import { LIVE_KEY, luaScript, METRICS, SINCE_FIELD, USAGE_KINDS, type Amounts, type Metric } from './usage.js';
import { NamedFailure } from '../../lib/temporal/failures.js';

// The accounting flush moves Redis counters into MariaDB exactly once, in three
// steps that may each run any number of times, in any interleaving with other
// flushes, and be cut short anywhere:
//
//   claim  RENAME usage:live → usage:batch:{id}: one atomic snapshot. Events that
//          arrive later go to a fresh usage:live. An event's counters are written by
//          one script with its dedupe mark (usage.ts), so the RENAME takes all of them
//          or none. The id joins usage:pending.
//          A batch id claims at most once (usage:claimed:{id}), so a claim retried
//          after its batch was applied and cleared cannot take new events under an
//          id the ledger already knows (they would be skipped, i.e. lost).
//   apply  one MariaDB transaction: the batch id into the ledger (usage_flush_batches,
//          primary key) and every counter added to usage_daily. A second apply of
//          the same batch, concurrent or later, finds the id and adds nothing.
//   clear  DEL the batch and drop it from usage:pending, only once the ledger has it.
//
// Every flush applies and clears every pending batch, not just its own, so a
// batch whose flush died (timed out, terminated) is picked up by the next one.

export const PENDING_KEY = 'usage:pending';
export const batchKey = (batchId: string): string => `usage:batch:${batchId}`;
const claimedKey = (batchId: string): string => `usage:claimed:${batchId}`;
// A claim is retried only by its own flush run (batch ids are run ids), within
// minutes of its first attempt; a day is ample margin.
const CLAIMED_MARK_SECONDS = 24 * 3600;
/** Pending batches one flush takes on; more wait for the next. */
const MAX_PENDING_PER_FLUSH = 50;
const ROWS_PER_STATEMENT = 500;

const UPSERT_HEAD = 'INSERT INTO usage_daily (tenant_id, day, user_id, kind, requests, tokens, audio_ms, updated_at) VALUES ';
const UPSERT_TAIL = `
  ON DUPLICATE KEY UPDATE requests = requests + VALUES(requests), tokens = tokens + VALUES(tokens),
    audio_ms = audio_ms + VALUES(audio_ms), updated_at = VALUES(updated_at)`;

/**
 * The usage_daily upsert of `rows` rows as one string with a placeholder per
 * value: a Prisma.sql fragment per row cost the flush more CPU than MariaDB
 * spent running the statement.
 */
const upsertOf = (rows: number): string =>
  UPSERT_HEAD + Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, NOW(3))').join(', ') + UPSERT_TAIL;

const CLAIM = `
if redis.call('EXISTS', KEYS[4]) == 0 then
  redis.call('SET', KEYS[4], '1', 'EX', ARGV[3])
  if redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('RENAME', KEYS[1], KEYS[2])
    redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
  end
end
return redis.call('ZRANGE', KEYS[3], 0, tonumber(ARGV[4]) - 1)`;

const claim = luaScript(CLAIM);

export class MalformedUsageBatch extends NamedFailure {
  constructor(batchId: string, field: string) {
    super('USAGE_BATCH_MALFORMED', `usage batch ${batchId} holds a field that is not a usage counter: ${JSON.stringify(field.slice(0, 120))}`);
    this.name = 'MalformedUsageBatch';
  }
}

export class BatchNotApplied extends NamedFailure {
  constructor(batchId: string) {
    super('USAGE_BATCH_NOT_APPLIED', `usage batch ${batchId} is not in the ledger; its counters stay in Redis`);
    this.name = 'BatchNotApplied';
  }
}

/** Takes a snapshot of usage:live under `batchId` (once per id) and returns the pending batch ids, oldest first. */
export async function claimBatch(redis: Redis, batchId: string): Promise<string[]> {
  const pending = await claim(
    redis,
    [LIVE_KEY, batchKey(batchId), PENDING_KEY, claimedKey(batchId)],
    [batchId, Date.now(), CLAIMED_MARK_SECONDS, MAX_PENDING_PER_FLUSH],
  );
  return pending as string[];
}

interface UsageRow {
  tenantId: string;
  day: string;
  userId: string;
  kind: string;
  amounts: Amounts;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ID = /^[0-9A-Za-z-]{1,36}$/;

/** The batch hash as usage_daily rows, sorted by primary key so concurrent applies lock rows in one order. */
function parseBatch(batchId: string, fields: Record<string, string>): { rows: UsageRow[]; since: Date | null } {
  const rows = new Map<string, UsageRow>();
  let since: Date | null = null;
  for (const [field, value] of Object.entries(fields)) {
    if (field === SINCE_FIELD) {
      since = new Date(Number(value));
      continue;
    }
    const parts = field.split('|');
    const [day, tenantId, userId, kind, metric] = parts as [string, string, string, string, Metric];
    const n = Number(value);
    if (
      parts.length !== 5 ||
      !DAY.test(day) ||
      !ID.test(tenantId) ||
      !ID.test(userId) ||
      !(USAGE_KINDS as readonly string[]).includes(kind) ||
      !METRICS.includes(metric) ||
      !Number.isSafeInteger(n)
    ) {
      throw new MalformedUsageBatch(batchId, field);
    }
    const key = `${tenantId}|${day}|${userId}|${kind}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { tenantId, day, userId, kind, amounts: { requests: 0, tokens: 0, audio_ms: 0 } }));
    row.amounts[metric] += n;
  }
  const sorted = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
  return { rows: sorted, since };
}

export type ApplyOutcome =
  | { status: 'applied'; counters: number; totals: Amounts; firstEventAt: string | null }
  /** already in the ledger: another apply of this batch got there first */
  | { status: 'duplicate' }
  /** nothing left in Redis: applied and cleared before */
  | { status: 'gone' };

/** Adds a pending batch to usage_daily, at most once ever, in one transaction with its ledger row. */
export async function applyBatch(db: Db, redis: Redis, batchId: string, onStatement?: () => void): Promise<ApplyOutcome> {
  const [fields, score] = await Promise.all([redis.hgetall(batchKey(batchId)), redis.zscore(PENDING_KEY, batchId)]);
  if (Object.keys(fields).length === 0) return { status: 'gone' };
  const { rows, since } = parseBatch(batchId, fields);
  const totals: Amounts = { requests: 0, tokens: 0, audio_ms: 0 };
  for (const r of rows) for (const m of METRICS) totals[m] += r.amounts[m];
  const claimedAt = score === null ? new Date() : new Date(Number(score));

  const inserted = await db.$transaction(
    async (tx) => {
      // The primary key decides: a concurrent apply of this batch waits on our
      // uncommitted row, then finds it and inserts nothing.
      const fresh = await tx.$executeRaw`
        INSERT IGNORE INTO usage_flush_batches (id, counters, requests, tokens, audio_ms, first_event_at, claimed_at)
        VALUES (${batchId}, ${rows.length}, ${totals.requests}, ${totals.tokens}, ${totals.audio_ms}, ${since}, ${claimedAt})`;
      if (fresh === 0) return false;
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
        // Every value is a bound parameter; only the placeholders are in the string.
        const values = chunk.flatMap((r) => [r.tenantId, r.day, r.userId, r.kind, r.amounts.requests, r.amounts.tokens, r.amounts.audio_ms]);
        await tx.$executeRawUnsafe(upsertOf(chunk.length), ...values);
        onStatement?.();
      }
      return true;
    },
    { maxWait: 30_000, timeout: 120_000 },
  );
  if (!inserted) return { status: 'duplicate' };
  return { status: 'applied', counters: rows.length, totals, firstEventAt: since?.toISOString() ?? null };
}

/** Drops a batch from Redis once the ledger has it; a batch already gone only leaves usage:pending. */
export async function clearBatch(db: Db, redis: Redis, batchId: string): Promise<void> {
  if ((await redis.exists(batchKey(batchId))) === 1) {
    const applied = await db.usageFlushBatch.findUnique({ where: { id: batchId }, select: { id: true } });
    if (!applied) throw new BatchNotApplied(batchId);
  }
  await redis.multi().del(batchKey(batchId)).zrem(PENDING_KEY, batchId).exec();
}
