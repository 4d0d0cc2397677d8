import type { Caller } from '../../lib/auth/caller-identity.js';
import type { SqlPool } from '../../lib/infra/db.js';
import type { EventFeed } from './event-feed.js';
import { batchOf, eventsFor, seqsOf, type FeedBatch, type FeedListener } from './feed-batch.js';
import { eventsSince, type EventBatch, type LoggedEvent } from './event-log.js';
import { assertCursorRetained } from './event-retention.js';
import { memberRooms } from './sql.js';

// A sync long-poll is fed by the event feed: it reads once, from its cursor,
// and if nothing is there waits for the feed's first delivery instead of
// reading the log again at every ring. Its first read comes from the feed's
// recent events when its cursor lies in their span (recent-events.ts): one
// query for the caller's rooms instead of four (the retention check, and the
// log's rooms, events and messages). Older cursors read the log.

/** Why a long-poll's wait ended: a delivery for it, its deadline, or its client (or this process) going away. */
type WakeReason = 'ring' | 'deadline' | 'aborted';

/** Where a long-poll's first answer came from: the feed's recent events, or the log. */
type FirstRead = 'feed' | 'log';

export interface FeedMetrics {
  /** how a long-poll's wait ended */
  woken(reason: WakeReason): void;
  /** where a long-poll's first answer came from */
  firstRead(source: FirstRead): void;
}

export class LongPolls {
  /** the waiting long-polls, each ended by calling it */
  private readonly waits = new Set<(why: WakeReason) => void>();

  constructor(
    private readonly feed: EventFeed,
    private readonly sql: SqlPool,
    /** told how each long-poll went (delivery-metrics.ts) */
    private readonly metrics: FeedMetrics = { woken: () => undefined, firstRead: () => undefined },
  ) {}

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
    const joined = await this.feed.join(caller.tenantId, listener);
    try {
      // Taken before any wait: what the feed reads from here on comes as deliveries (held).
      const recent = joined.recentAfter(since);
      this.metrics.firstRead(recent ? 'feed' : 'log');
      const read = recent ? await this.fromRecent(caller, recent, limit) : await this.fromLog(caller, since, limit);
      if (read.events.length > 0 || Date.now() >= deadline || signal.aborted) return read;
      // Sorted here, once: the feed sorts what it delivers from now on (and moves the rooms as it does).
      listener.rooms = new Set(read.rooms);
      const passed = held.splice(0);
      const passedEvents = passed.flatMap((b) => b.events);
      const caught = eventsFor(listener, passedEvents, seqsOf(passedEvents));
      if (caught.length > 0) return answer(caught, passed, limit);
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
      return held.length === 0 ? read : answer(held.flatMap((b) => b.events), held, limit);
    } finally {
      joined.leave();
    }
  }

  /** How many long-polls wait for a delivery now. */
  get waiting(): number {
    return this.waits.size;
  }

  /** Ends every waiting long-poll (the process is going away). */
  close(): void {
    for (const end of [...this.waits]) end('aborted');
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
}

/** A long-poll's answer: the first `limit` of the events, the messages they name; the rest are read from its cursor next time. */
function answer(events: LoggedEvent[], batches: FeedBatch[], limit: number): FeedBatch {
  return batchOf(events.slice(0, limit), batches.flatMap((b) => b.messages));
}
