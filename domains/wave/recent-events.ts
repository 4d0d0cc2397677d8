import type { WaveMessage } from '../../lib/generated/prisma/client.js';
import { namedIds, type LoggedEvent } from './event-log.js';
import type { FeedBatch } from './feed-batch.js';

// A follower asks again the moment it has an answer, from a cursor the feed
// has just passed. So the feed keeps what it read last (the recent events,
// RECENT_EVENTS and RECENT_MS at most, every one of the tenant's in that span,
// and the messages they name as it last read them), and a poll whose cursor
// lies in that span takes its first answer from there (long-poll.ts). The span
// is bounded in time so that message text held for it is seconds old, not days
// (a quiet tenant's feed reads nothing new to push it out).

const RECENT_EVENTS = 256;
const RECENT_MS = 30_000;

/** One tenant's recent span: every event after `from`, up to the feed's cursor. */
export class RecentEvents {
  private readonly events: { event: LoggedEvent; seq: bigint; readAt: number }[] = [];
  /** the messages the recent events name, as the feed last read them (none when gone), and how many recent events name each */
  private readonly messages = new Map<string, { message?: WaveMessage; named: number }>();

  constructor(private from: bigint) {}

  /** The recent events after `since`, and the messages they name; undefined when the span does not reach from `since` (up to `cursor`, the feed's). */
  after(since: bigint, cursor: bigint): FeedBatch | undefined {
    this.forget(Date.now());
    if (since < this.from || since > cursor) return undefined;
    // From the end: a follower's cursor is most often the feed's own, or close behind it.
    let first = this.events.length;
    while (first > 0 && this.events[first - 1]!.seq > since) first--;
    const events = this.events.slice(first).map((r) => r.event);
    const messages = [...namedIds(events)].flatMap((id) => this.messages.get(id)?.message ?? []);
    return { events, messages, cursor: since.toString() };
  }

  /** Keeps what the feed just read; a message read again replaces its older reading. */
  remember(events: LoggedEvent[], seqs: bigint[], messages: WaveMessage[]): void {
    const now = Date.now();
    for (const [i, event] of events.entries()) {
      this.events.push({ event, seq: seqs[i]!, readAt: now });
      if (!event.messageId) continue;
      const kept = this.messages.get(event.messageId) ?? { named: 0 };
      kept.named++;
      this.messages.set(event.messageId, kept);
    }
    for (const m of messages) this.messages.get(m.id)!.message = m;
    this.forget(now);
  }

  /** Drops what fell out of the span, by count or by age. */
  private forget(now: number): void {
    let drop = 0;
    while (drop < this.events.length && (this.events.length - drop > RECENT_EVENTS || now - this.events[drop]!.readAt > RECENT_MS)) drop++;
    if (drop === 0) return;
    this.from = this.events[drop - 1]!.seq;
    for (const { event } of this.events.splice(0, drop)) {
      if (!event.messageId) continue;
      const kept = this.messages.get(event.messageId)!;
      if (--kept.named === 0) this.messages.delete(event.messageId);
    }
  }
}
