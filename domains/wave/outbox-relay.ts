import type { PoolConnection } from 'mariadb';
import { sqlTransaction, type SqlPool } from '../../lib/infra/db.js';
import type { Logger } from '../../lib/infra/logger.js';
import { anyUnpublished, lockUnpublished, markPublished } from './sql.js';

// The outbox relay: publishes room events (wave_outbox rows, written in the
// same transaction as their change) to JetStream, then marks them published.
//
// Exactly once, whatever dies when:
//   - a process dies after the change committed and before the publish: the
//     row stays unpublished and the next relay pass (this process restarted,
//     or any other API process) publishes it;
//   - it dies after the publish and before the mark: the next pass publishes
//     again under the same message id, which JetStream acknowledges as a
//     duplicate inside the stream's duplicate window (a day) and stores once.
// One relay at a time: a pass locks the rows it publishes (FOR UPDATE, under
// READ COMMITTED so posting transactions are not held up by gap locks), so a
// second API process waits for the first and then finds them published.
// Within a room the rows are in commit order (every room change locks the
// room's row first), and a pass publishes in id order, so the stream holds a
// room's events in the order they happened.
//
// The relay has a connection of its own (a pool of one, on the mariadb driver,
// not Prisma): on the API's shared pool it queued behind the requests whose
// events it relays, so under load an event waited seconds for a connection
// after its post had answered (bench/search-indexing.ts, 100 posts/s: 201 →
// published 369 ms p50 / 4.2 s p99; 3 ms / 120 ms on its own connection), and
// Prisma's query engine costs more CPU per statement than the driver, in the
// process the posts also need. A pass woken by a commit knows there is work and
// skips the idle check; the connection is READ COMMITTED for its whole life.

/** Where a relayed event belongs, and the user it is about (membership changes). */
export interface RelayedEvent {
  tenantId: string;
  roomId: string;
  userId?: string;
}

/** Publishes one event under its message id; answers the stream sequence it got (the first publish's, for a duplicate). */
export type PublishEvent = (subject: string, msgId: string, payload: unknown) => Promise<{ seq: number }>;

interface OutboxRelayOptions {
  /** The relay's own connection (createSqlPool(…, 1)), which no request waits for. */
  sql: SqlPool;
  publish: PublishEvent;
  logger: Logger;
  /** How often a pass runs with nothing to wake it: the bound on relaying what a dead process left. */
  intervalMs: number;
  /** Told, once a pass has committed, what it made readable (domains/wave/event-bell.ts). */
  relayed?: (events: RelayedEvent[]) => void;
  batchSize?: number;
}

export class OutboxRelay {
  private readonly batchSize: number;
  private closed = false;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: OutboxRelayOptions) {
    this.batchSize = opts.batchSize ?? 200;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** A change just committed: relay now rather than at the next interval. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeUp?.();
    await this.loop;
  }

  /** One pass: publishes up to a batch of pending events in order; answers how many. `woken`: a change said there is work. */
  async relayOnce(woken: boolean): Promise<number> {
    const { sql } = this.opts;
    // Most passes of the timer find nothing: a plain indexed read says so without opening a locking transaction.
    if (!woken && !(await anyUnpublished(sql))) return 0;
    const rows = await sqlTransaction(sql, (conn) => this.publishPending(conn));
    // After the commit: readers woken now find the rows with their stream sequence.
    if (rows.length > 0) this.opts.relayed?.(rows);
    return rows.length;
  }

  /** Inside the pass's transaction: locks up to a batch of unpublished rows, publishes them, marks them. */
  private async publishPending(conn: PoolConnection): Promise<RelayedEvent[]> {
    const pending = await lockUnpublished(conn, this.batchSize);
    const payloads = pending.map((row) => (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as { userId?: string });
    // All at once: one connection writes them in this order, and JetStream stores them in the order
    // they arrive, so the stream order is the outbox order without a round trip per event.
    const acks = await Promise.all(pending.map((row, i) => this.opts.publish(row.subject, row.msg_id, payloads[i])));
    if (pending.length > 0) await markPublished(conn, pending.map((row, i) => ({ id: row.id, streamSeq: acks[i]!.seq })));
    return pending.map((row, i) => ({ tenantId: row.tenant_id, roomId: row.room_id, userId: payloads[i]!.userId }));
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const woken = this.woken;
      this.woken = false;
      let full = false;
      try {
        full = (await this.relayOnce(woken)) === this.batchSize;
      } catch (err) {
        this.opts.logger.warn({ err: (err as Error).message }, 'outbox relay pass failed; retrying');
      }
      if (full || this.woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.opts.intervalMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }
}
