import type { WaveMessage } from '../generated/prisma/client.js';
import type { SqlPool } from '../infra/db.js';
import type { Logger } from '../infra/logger.js';
import { latestCursor, loggedEvents, namedMessages, type LoggedEvent } from './event-log.js';

// One reader of the event log per tenant per API process, for the WebSockets
// it holds: when the bell rings for a tenant, the feed reads the tenant's new
// events once (and the messages they name once) and hands each socket the ones
// of its rooms. A socket therefore costs the database nothing per event; a
// post to a room with a hundred open sockets is one read, not a hundred.
//
// A socket first catches up from its own cursor through the log itself
// (eventsSince) and only then takes the feed's deliveries: what the feed
// brings meanwhile is held and handed over after, above the socket's cursor,
// so nothing is lost or repeated between the two.

export interface FeedBatch {
  events: LoggedEvent[];
  messages: WaveMessage[];
  cursor: string;
}

export interface FeedListener {
  userId: string;
  /** the rooms whose events the socket gets; the feed moves them with the user's membership events */
  rooms: Set<string>;
  /** the last event the socket has, by stream sequence */
  cursor: bigint;
  deliver(batch: FeedBatch): void;
}

interface TenantFeed {
  cursor: bigint;
  listeners: Set<FeedListener>;
  reading: Promise<void> | undefined;
  again: boolean;
}

const BATCH = 500;

/**
 * The events a listener takes, above its cursor, in order: those of its rooms.
 * Its own membership changes move its rooms as they pass: a room it joins
 * counts from its join on, a room it leaves up to its leaving.
 */
function eventsFor(listener: FeedListener, events: LoggedEvent[]): LoggedEvent[] {
  const theirs: LoggedEvent[] = [];
  for (const e of events) {
    if (BigInt(e.cursor) <= listener.cursor) continue;
    const aboutThem = e.type.startsWith('member.') && e.userId === listener.userId;
    if (aboutThem && (e.type === 'member.joined' || e.type === 'member.invited')) listener.rooms.add(e.roomId);
    if (!listener.rooms.has(e.roomId)) continue;
    theirs.push(e);
    if (aboutThem && (e.type === 'member.left' || e.type === 'member.removed')) listener.rooms.delete(e.roomId);
  }
  return theirs;
}

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
    let feed = this.tenants.get(tenantId);
    if (!feed) {
      const last = BigInt(await latestCursor(this.sql, tenantId));
      // Another subscribe may have made it while this one read.
      feed = this.tenants.get(tenantId) ?? { cursor: last, listeners: new Set(), reading: undefined, again: false };
      this.tenants.set(tenantId, feed);
    }
    feed.listeners.add(listener);
    const mine = feed;
    return () => {
      mine.listeners.delete(listener);
      if (mine.listeners.size === 0 && this.tenants.get(tenantId) === mine) this.tenants.delete(tenantId);
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
      feed.cursor = BigInt(events.at(-1)!.cursor);
      for (const listener of feed.listeners) {
        const theirs = eventsFor(listener, events);
        if (theirs.length === 0) continue;
        const named = new Set(theirs.flatMap((e) => (e.messageId ? [e.messageId] : [])));
        listener.deliver({ events: theirs, messages: messages.filter((m) => named.has(m.id)), cursor: theirs.at(-1)!.cursor });
      }
      if (events.length < BATCH) return;
    }
  }
}
