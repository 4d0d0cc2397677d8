import type { SqlPool } from '../../lib/infra/db.js';
import type { Logger } from '../../lib/infra/logger.js';
import { latestCursor, loggedEvents, namedMessages } from './event-log.js';
import { batchOf, eventsFor, seqsOf, type FeedBatch, type FeedListener } from './feed-batch.js';
import { RecentEvents } from './recent-events.js';

// One reader of the event log per tenant per API process, for the WebSockets
// and long-polls it holds: when the bell rings for a tenant, the feed reads the
// tenant's new events once (and the messages they name once) and hands each
// listener the ones of its rooms (feed-batch.ts). A socket therefore costs the
// database nothing per event; a post to a room with a hundred open sockets is
// one read, not a hundred.
//
// A socket first catches up from its own cursor through the log itself
// (eventsSince) and only then takes the feed's deliveries: what the feed
// brings meanwhile is held and handed over after, above the socket's cursor,
// so nothing is lost or repeated between the two (api/wave-socket.ts). A
// long-poll does the same from the feed's recent events (long-poll.ts).

interface TenantFeed {
  cursor: bigint;
  listeners: Set<FeedListener>;
  reading: Promise<void> | undefined;
  again: boolean;
  recent: RecentEvents;
}

const BATCH = 500;

export class EventFeed {
  private readonly tenants = new Map<string, TenantFeed>();
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly sql: SqlPool,
    /** how often every tenant with listeners is read anyway: the bound on a missed ring, and on a failed read */
    sweepMs: number,
    private readonly logger: Logger,
  ) {
    this.sweep = setInterval(() => {
      for (const tenantId of this.tenants.keys()) this.notify(tenantId);
    }, sweepMs);
    this.sweep.unref();
  }

  /** Starts feeding the listener from the tenant's events newer than the feed's own cursor. */
  async subscribe(tenantId: string, listener: FeedListener): Promise<() => void> {
    return (await this.join(tenantId, listener)).leave;
  }

  /** subscribe, with the tenant's recent events after a cursor, read before any delivery (long-poll.ts). */
  async join(tenantId: string, listener: FeedListener): Promise<{ recentAfter(since: bigint): FeedBatch | undefined; leave(): void }> {
    let feed = this.tenants.get(tenantId);
    if (!feed) {
      const last = BigInt(await latestCursor(this.sql, tenantId));
      // Another subscribe may have made it while this one read.
      feed = this.tenants.get(tenantId) ?? { cursor: last, listeners: new Set(), reading: undefined, again: false, recent: new RecentEvents(last) };
      this.tenants.set(tenantId, feed);
    }
    feed.listeners.add(listener);
    const mine = feed;
    return {
      recentAfter: (since) => mine.recent.after(since, mine.cursor),
      leave: () => {
        mine.listeners.delete(listener);
        if (mine.listeners.size === 0 && this.tenants.get(tenantId) === mine) this.tenants.delete(tenantId);
      },
    };
  }

  /** New events may be readable for the tenant: read them (once, however often this is called meanwhile). */
  notify(tenantId: string): void {
    const feed = this.tenants.get(tenantId);
    if (!feed) return;
    if (feed.reading) {
      feed.again = true;
      return;
    }
    // A read that fails (no connection in time, under overload) leaves the feed's cursor where it
    // was: the next ring or sweep reads the same events again, so the sockets get them late, not never.
    const read = this.read(tenantId, feed).catch((err: unknown) => this.logger.warn({ err: (err as Error).message, tenantId }, 'event feed read failed; read again at the next ring or sweep'));
    feed.reading = read.finally(() => {
      feed.reading = undefined;
      if (feed.again) {
        feed.again = false;
        this.notify(tenantId);
      }
    });
  }

  close(): void {
    clearInterval(this.sweep);
    this.tenants.clear();
  }

  private async read(tenantId: string, feed: TenantFeed): Promise<void> {
    for (;;) {
      const events = await loggedEvents(this.sql, tenantId, feed.cursor, BATCH);
      if (events.length === 0) return;
      const messages = await namedMessages(this.sql, tenantId, events);
      // Moved only once both reads are done: a failed read must leave these events to be read again.
      const seqs = seqsOf(events);
      feed.cursor = seqs.at(-1)!;
      feed.recent.remember(events, seqs, messages);
      // Listeners taking the same events get the same batch: a room's sockets share one, and each
      // socket's frame of it is made once (api/wave-socket.ts), not once per socket.
      const batches = new Map<string, FeedBatch>();
      for (const listener of feed.listeners) {
        const theirs = eventsFor(listener, events, seqs);
        if (theirs.length === 0) continue;
        const key = theirs.map((e) => e.cursor).join();
        let batch = batches.get(key);
        if (!batch) {
          batch = batchOf(theirs, messages);
          batches.set(key, batch);
        }
        listener.deliver(batch);
      }
      if (events.length < BATCH) return;
    }
  }
}
