import type { Caller } from '../../lib/auth/caller-identity.js';
import type { WaveMessage } from '../../lib/generated/prisma/client.js';
import type { SqlPool } from '../../lib/infra/db.js';
import type { Logger } from '../../lib/infra/logger.js';
import { eventsSince, latestCursor, loggedEvents, namedIds, namedMessages, type EventBatch, type LoggedEvent } from './event-log.js';
import { assertCursorRetained } from './event-retention.js';
import { memberRooms } from './membership.js';

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
//
// A sync long-poll (poll) is fed the same way: it reads the log once, from
// its cursor, and if nothing is there waits for the feed's first delivery
// instead of reading the log again at every ring.
//
// A follower asks again the moment it has an answer, from a cursor the feed
// has just passed. So the feed keeps what it read last (the recent events,
// RECENT_EVENTS and RECENT_MS at most, every one of the tenant's in that span,
// and the messages they name as it last read them), and a poll whose cursor
// lies in that span takes its first answer from there: one query for the
// caller's rooms instead of four (the retention check, and the log's rooms,
// events and messages). Older cursors read the log. The span is bounded in
// time so that message text held for it is seconds old, not days (a quiet
// tenant's feed reads nothing new to push it out).

/** Why a long-poll's wait ended: a delivery for it, its deadline, or its client (or this process) going away. */
type WakeReason = 'ring' | 'deadline' | 'aborted';

/** What the feed hands a listener: the same object to every listener taking the same events; read it, never change it. */
export interface FeedBatch {
  events: LoggedEvent[];
  messages: WaveMessage[];
  cursor: string;
}

export interface FeedListener {
  userId: string;
  /**
   * the rooms whose events the socket gets; the feed moves them with the user's membership events.
   * Undefined while the listener does not know them yet: it gets every room's events, to sort out itself.
   */
  rooms: Set<string> | undefined;
  /** the last event the socket has, by stream sequence */
  cursor: bigint;
  deliver(batch: FeedBatch): void;
}

interface TenantFeed {
  cursor: bigint;
  listeners: Set<FeedListener>;
  reading: Promise<void> | undefined;
  again: boolean;
  /** the events the feed read last, oldest first, each with when: every event of the tenant after recentFrom up to cursor */
  recent: { event: LoggedEvent; seq: bigint; readAt: number }[];
  recentFrom: bigint;
  /** the messages the recent events name, as the feed last read them (none when gone), and how many recent events name each */
  messages: Map<string, { message?: WaveMessage; named: number }>;
}

/** Where a long-poll's first answer came from: the feed's recent events, or the log. */
type FirstRead = 'feed' | 'log';

export interface FeedMetrics {
  /** how a long-poll's wait ended */
  woken(reason: WakeReason): void;
  /** where a long-poll's first answer came from */
  firstRead(source: FirstRead): void;
}

const BATCH = 500;
const RECENT_EVENTS = 256;
const RECENT_MS = 30_000;

/** The events with the messages among `messages` that they name, each once (the last given of it), and where to resume. */
export function batchOf(events: LoggedEvent[], messages: Iterable<WaveMessage>, cursor = events.at(-1)!.cursor): FeedBatch {
  const named = namedIds(events);
  const kept = new Map<string, WaveMessage>();
  for (const m of messages) if (named.has(m.id)) kept.set(m.id, m);
  return { events, messages: [...kept.values()], cursor };
}

/** Each event's cursor as a number, parsed once per read rather than once per listener. */
const seqsOf = (events: LoggedEvent[]): bigint[] => events.map((e) => BigInt(e.cursor));

/**
 * The events a listener takes, above its cursor, in order: those of its rooms.
 * Its own membership changes move its rooms as they pass: a room it joins
 * counts from its join on, a room it leaves up to its leaving.
 */
function eventsFor(listener: FeedListener, events: LoggedEvent[], seqs: bigint[]): LoggedEvent[] {
  const theirs: LoggedEvent[] = [];
  for (const [i, e] of events.entries()) {
    if (seqs[i]! <= listener.cursor) continue;
    if (!listener.rooms) {
      theirs.push(e);
      continue;
    }
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
  /** the waiting long-polls, each ended by calling it */
  private readonly waits = new Set<(why: WakeReason) => void>();

  constructor(
    private readonly sql: SqlPool,
    /** how often every tenant with listeners is read anyway: the bound on a missed ring, and on a failed read */
    sweepMs: number,
    private readonly logger: Logger,
    /** told how each long-poll went (lib/infra/metrics.ts) */
    private readonly metrics: FeedMetrics = { woken: () => undefined, firstRead: () => undefined },
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

  private async join(tenantId: string, listener: FeedListener): Promise<{ feed: TenantFeed; leave: () => void }> {
    let feed = this.tenants.get(tenantId);
    if (!feed) {
      const last = BigInt(await latestCursor(this.sql, tenantId));
      // Another subscribe may have made it while this one read.
      feed = this.tenants.get(tenantId) ?? {
        cursor: last,
        listeners: new Set(),
        reading: undefined,
        again: false,
        recent: [],
        recentFrom: last,
        messages: new Map(),
      };
      this.tenants.set(tenantId, feed);
    }
    feed.listeners.add(listener);
    const mine = feed;
    return {
      feed,
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

  /**
   * A long-poll: the caller's events after `since` (at most `limit`), read from the log or the feed's recent
   * events; if there are none, the first the feed delivers before `deadline` (epoch ms) or `signal`, or none.
   * Subscribed before the read, with its rooms unknown until the read tells them: an event the feed passes
   * meanwhile is held, then kept if it is of the caller's rooms, so none falls between the read and the feed.
   */
  async poll(caller: Caller, since: bigint, limit: number, deadline: number, signal: AbortSignal): Promise<FeedBatch> {
    // Nothing to wait for: no feed to join (making one for the tenant costs a read of its own).
    if (Date.now() >= deadline) return this.fromLog(caller, since, limit);
    const held: FeedBatch[] = [];
    let delivered = (): void => undefined;
    const listener: FeedListener = {
      userId: caller.userId,
      rooms: undefined,
      cursor: since,
      deliver: (batch) => {
        held.push(batch);
        delivered();
      },
    };
    const { feed, leave } = await this.join(caller.tenantId, listener);
    try {
      // Taken before any wait: what the feed reads from here on comes as deliveries (held).
      const recent = this.recentAfter(feed, since);
      this.metrics.firstRead(recent ? 'feed' : 'log');
      const read = recent ? await this.fromRecent(caller, recent, limit) : await this.fromLog(caller, since, limit);
      if (read.events.length > 0 || Date.now() >= deadline || signal.aborted) return read;
      // Sorted here, once: the feed sorts what it delivers from now on (and moves the rooms as it does).
      listener.rooms = new Set(read.rooms);
      const passed = held.splice(0);
      const passedEvents = passed.flatMap((b) => b.events);
      const caught = eventsFor(listener, passedEvents, seqsOf(passedEvents));
      if (caught.length > 0) return this.answer(caught, passed, limit);
      const reason = await new Promise<WakeReason>((resolve) => {
        const end = (why: WakeReason): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', aborted);
          this.waits.delete(end);
          resolve(why);
        };
        this.waits.add(end);
        const timer = setTimeout(() => end('deadline'), Math.max(0, deadline - Date.now()));
        const aborted = () => end('aborted');
        signal.addEventListener('abort', aborted, { once: true });
        delivered = () => end('ring');
      });
      this.metrics.woken(reason);
      return held.length === 0 ? read : this.answer(held.flatMap((b) => b.events), held, limit);
    } finally {
      leave();
    }
  }

  /** How many long-polls wait for a delivery now. */
  get waiting(): number {
    return this.waits.size;
  }

  close(): void {
    clearInterval(this.sweep);
    this.tenants.clear();
    for (const end of [...this.waits]) end('aborted');
  }

  /** The feed's recent events after `since`, and the messages they name; undefined when its recent span does not reach back to `since`. */
  private recentAfter(feed: TenantFeed, since: bigint): FeedBatch | undefined {
    this.forget(feed, Date.now());
    if (since < feed.recentFrom || since > feed.cursor) return undefined;
    // From the end: a follower's cursor is most often the feed's own, or close behind it.
    let first = feed.recent.length;
    while (first > 0 && feed.recent[first - 1]!.seq > since) first--;
    const events = feed.recent.slice(first).map((r) => r.event);
    const messages = [...namedIds(events)].flatMap((id) => feed.messages.get(id)?.message ?? []);
    return { events, messages, cursor: since.toString() };
  }

  /** The caller's events after `since`, from the log; a cursor older than the log keeps is refused (CURSOR_EXPIRED), never answered with a gap. */
  private async fromLog(caller: Caller, since: bigint, limit: number): Promise<EventBatch> {
    await assertCursorRetained(this.sql, caller.tenantId, since);
    return eventsSince(this.sql, caller, since, limit);
  }

  /**
   * eventsSince, from the feed's recent events: the same rule (the rooms the caller is in now), the log not
   * read. Nor the retention horizon: the span holds every event after `since`, so the answer has no gap.
   */
  private async fromRecent(caller: Caller, recent: FeedBatch, limit: number): Promise<EventBatch> {
    const rooms = new Set(await memberRooms(this.sql, caller));
    const events = recent.events.filter((e) => rooms.has(e.roomId)).slice(0, limit);
    return { ...batchOf(events, recent.messages, events.at(-1)?.cursor ?? recent.cursor), rooms };
  }

  /** Drops what fell out of the recent span, by count or by age. */
  private forget(feed: TenantFeed, now: number): void {
    let drop = 0;
    while (drop < feed.recent.length && (feed.recent.length - drop > RECENT_EVENTS || now - feed.recent[drop]!.readAt > RECENT_MS)) drop++;
    if (drop === 0) return;
    feed.recentFrom = feed.recent[drop - 1]!.seq;
    for (const { event } of feed.recent.splice(0, drop)) {
      if (!event.messageId) continue;
      const kept = feed.messages.get(event.messageId)!;
      if (--kept.named === 0) feed.messages.delete(event.messageId);
    }
  }

  /** Keeps what the feed just read among its recent events; a message read again replaces its older reading. */
  private remember(feed: TenantFeed, events: LoggedEvent[], seqs: bigint[], messages: WaveMessage[]): void {
    const now = Date.now();
    for (const [i, event] of events.entries()) {
      feed.recent.push({ event, seq: seqs[i]!, readAt: now });
      if (!event.messageId) continue;
      const kept = feed.messages.get(event.messageId) ?? { named: 0 };
      kept.named++;
      feed.messages.set(event.messageId, kept);
    }
    for (const m of messages) feed.messages.get(m.id)!.message = m;
    this.forget(feed, now);
  }

  /** A long-poll's answer: the first `limit` of the events, the messages they name; the rest are read from its cursor next time. */
  private answer(events: LoggedEvent[], batches: FeedBatch[], limit: number): FeedBatch {
    return batchOf(events.slice(0, limit), batches.flatMap((b) => b.messages));
  }

  private async read(tenantId: string, feed: TenantFeed): Promise<void> {
    for (;;) {
      const events = await loggedEvents(this.sql, tenantId, feed.cursor, BATCH);
      if (events.length === 0) return;
      const messages = await namedMessages(this.sql, tenantId, events);
      // Moved only once both reads are done: a failed read must leave these events to be read again.
      const seqs = seqsOf(events);
      feed.cursor = seqs.at(-1)!;
      this.remember(feed, events, seqs, messages);
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
