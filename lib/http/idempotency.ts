import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Caller } from '../auth/caller-identity.js';
import { AppError } from '../errors.js';
import type { Db } from '../infra/db.js';
import type { Logger } from '../infra/logger.js';

// Idempotency-Key (as Stripe has it, and the IETF httpapi draft): a client that
// retries a POST after a timeout or a dropped connection sends the same key,
// and gets the answer of the first request instead of a second job or message.
//
// The protocol, all of it in one MariaDB row per key so that any API process
// may receive the retry:
// 1. Before its body is read, a request claims the key: it inserts the row with
//    itself as owner and a short lease. A row there already is another
//    request's: one that answered, or one still running (a retry sent while
//    the first is still uploading or transcribing).
// 2. The owner reads its body, runs, and keeps its answer as the status and the
//    id of what it made (never the body: a transcript or a message text has no
//    place here). A failure gives the key up, so a retry runs afresh.
// 3. A retry reads its own body, waits for the owner's answer and replays it,
//    rendered afresh from what was made (a queued job that has since completed
//    says so), or is refused 422 when its request is not the first one's. Past
//    the wait it is told 409, to try again.
// 4. An owner whose process died stops renewing its lease; once the lease has
//    lapsed, the next retry takes the key over and runs.
// The row keeps only hashes: of the operation, caller and key, and of the
// request as parsed. It expires after the TTL, and a later request with the
// key starts over.

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

/** What a request under a key had answered: its status and the id of what it made. */
export interface Answered {
  status: number;
  resourceId: string;
}

/** A key, as one caller sent it to one operation. */
export interface KeySlot {
  tenantId: string;
  keyHash: string;
}

/** A request's hold on a key: `owner` while it holds it. */
export interface Claim {
  owner: string | null;
}

export interface IdempotencyTimings {
  /** how long an answer is kept for a retry */
  ttlMs: number;
  /** how long a retry waits for the first request's answer before it is told 409 */
  waitMs: number;
  /** how long an owner holds the key without renewing it */
  leaseMs: number;
}

/** The key a request sent, checked; undefined when it sent none. */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!KEY_FORMAT.test(header)) {
    throw new AppError('VALIDATION_ERROR', `${IDEMPOTENCY_HEADER}: 1 to 255 visible ASCII characters`, { fields: [{ field: IDEMPOTENCY_HEADER, problem: 'invalid' }] });
  }
  return header;
}

export const keySlot = (operationId: string, caller: Caller, key: string): KeySlot => ({
  tenantId: caller.tenantId,
  keyHash: sha256(`${operationId}\0${caller.tenantId}\0${caller.userId}\0${key}`),
});

/** The request as parsed, hashed with its object keys in order: a retry must match it byte for byte. */
export const requestHash = (request: unknown): string => sha256(canonicalJson(request));

/** Expired answers are forgotten this often by every API process, this many rows at a time: small statements, no job to schedule. */
const PRUNE_EVERY_MS = 10 * 60_000;
const PRUNE_ROWS = 1000;

export class IdempotencyKeys {
  private readonly pruning: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    private readonly timings: IdempotencyTimings,
    logger: Logger,
  ) {
    this.pruning = setInterval(() => void this.pruneExpired(PRUNE_ROWS).catch((err: unknown) => logger.warn({ err }, 'could not prune expired idempotency keys')), PRUNE_EVERY_MS);
    this.pruning.unref();
  }

  close(): void {
    clearInterval(this.pruning);
  }

  /**
   * Runs `run` when `claim` holds the key, and keeps its answer; otherwise
   * waits for the answer under the key and returns it for a replay, taking the
   * key over (and running) should its holder give it up or die first.
   */
  async settle(slot: KeySlot, claim: Claim, hash: string, gone: AbortSignal, run: () => Promise<Answered>): Promise<Answered | undefined> {
    const deadline = Date.now() + this.timings.waitMs;
    for (;;) {
      if (claim.owner) {
        await this.runOwned(slot, claim.owner, hash, run);
        return undefined;
      }
      const answered = await this.answered(slot, deadline, gone);
      if (answered) {
        if (answered.requestHash !== hash) throw new AppError('IDEMPOTENCY_KEY_REUSED', `this ${IDEMPOTENCY_HEADER} was sent before with another request`);
        return answered;
      }
      claim.owner = (await this.claim(slot)).owner;
    }
  }

  private async runOwned(slot: KeySlot, owner: string, hash: string, run: () => Promise<Answered>): Promise<void> {
    const renew = setInterval(() => void this.renew(slot, owner).catch(() => undefined), this.timings.leaseMs / 3);
    try {
      const answered = await run();
      await this.db.$executeRaw`UPDATE idempotency_keys SET owner = NULL, status = ${answered.status}, resource_id = ${answered.resourceId}, request_hash = ${hash}
        WHERE tenant_id = ${slot.tenantId} AND key_hash = ${slot.keyHash} AND owner = ${owner}`;
    } finally {
      clearInterval(renew);
    }
  }

  /** Inserts the key's row, or takes over one that expired, was given up or whose owner's lease lapsed. */
  async claim(slot: KeySlot): Promise<Claim> {
    const owner = randomUUID();
    const { leaseMs, ttlMs } = this.timings;
    const inserted = await this.db.$executeRaw`INSERT IGNORE INTO idempotency_keys (tenant_id, key_hash, owner, lease_until, expires_at)
      VALUES (${slot.tenantId}, ${slot.keyHash}, ${owner}, NOW(3) + INTERVAL ${leaseMs * 1000} MICROSECOND, NOW(3) + INTERVAL ${ttlMs * 1000} MICROSECOND)`;
    if (inserted === 1) return { owner };
    const taken = await this.db.$executeRaw`UPDATE idempotency_keys
      SET owner = ${owner}, lease_until = NOW(3) + INTERVAL ${leaseMs * 1000} MICROSECOND, status = NULL, resource_id = NULL, request_hash = NULL,
          created_at = NOW(3), expires_at = NOW(3) + INTERVAL ${ttlMs * 1000} MICROSECOND
      WHERE tenant_id = ${slot.tenantId} AND key_hash = ${slot.keyHash}
        AND (expires_at < NOW(3) OR (status IS NULL AND lease_until < NOW(3)))`;
    return { owner: taken === 1 ? owner : null };
  }

  /** The answer under the key once there is one; undefined when the key is free to claim again. */
  private async answered(slot: KeySlot, deadline: number, gone: AbortSignal): Promise<(Answered & { requestHash: string | null }) | undefined> {
    for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
      const [row] = await this.db.$queryRaw<{ status: number | null; resource_id: string | null; request_hash: string | null; free: number }[]>`
        SELECT status, resource_id, request_hash, (expires_at < NOW(3) OR (status IS NULL AND lease_until < NOW(3))) AS free
        FROM idempotency_keys WHERE tenant_id = ${slot.tenantId} AND key_hash = ${slot.keyHash}`;
      if (!row || Number(row.free) === 1) return undefined;
      if (row.status !== null && row.resource_id !== null) return { status: row.status, resourceId: row.resource_id, requestHash: row.request_hash };
      if (Date.now() >= deadline) {
        throw new AppError('IDEMPOTENCY_KEY_IN_USE', `a request with this ${IDEMPOTENCY_HEADER} is still running; retry later`, undefined, { 'Retry-After': '1' });
      }
      await sleep(pause, undefined, { signal: gone }).catch(() => {
        throw new AppError('CLIENT_CLOSED_REQUEST', 'the client closed the request while it waited for the first with its key');
      });
    }
  }

  private async renew(slot: KeySlot, owner: string): Promise<void> {
    await this.db.$executeRaw`UPDATE idempotency_keys SET lease_until = NOW(3) + INTERVAL ${this.timings.leaseMs * 1000} MICROSECOND
      WHERE tenant_id = ${slot.tenantId} AND key_hash = ${slot.keyHash} AND owner = ${owner}`;
  }

  /** Gives the key up when the request that holds it failed: a retry runs afresh. An answer already kept stays. */
  async release(slot: KeySlot, claim: Claim): Promise<void> {
    if (!claim.owner) return;
    await this.db.$executeRaw`DELETE FROM idempotency_keys WHERE tenant_id = ${slot.tenantId} AND key_hash = ${slot.keyHash} AND owner = ${claim.owner}`;
  }

  /** Forgets answers past their TTL; `limit` rows per call. */
  private pruneExpired(limit: number): Promise<number> {
    return this.db.$executeRaw`DELETE FROM idempotency_keys WHERE expires_at < NOW(3) AND owner IS NULL LIMIT ${limit}`;
  }
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
