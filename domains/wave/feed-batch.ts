import type { WaveMessage } from '../../lib/generated/prisma/client.js';
import { namedIds, type LoggedEvent } from './event-log.js';

// What the event feed hands its listeners (a socket, a waiting long-poll), and
// the rule that sorts a tenant's events out to each: the events of its rooms,
// above its cursor, its rooms moving with its own membership events.

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

/** The events with the messages among `messages` that they name, each once (the last given of it), and where to resume. */
export function batchOf(events: LoggedEvent[], messages: Iterable<WaveMessage>, cursor = events.at(-1)!.cursor): FeedBatch {
  const named = namedIds(events);
  const kept = new Map<string, WaveMessage>();
  for (const m of messages) if (named.has(m.id)) kept.set(m.id, m);
  return { events, messages: [...kept.values()], cursor };
}

/** Each event's cursor as a number, parsed once per read rather than once per listener. */
export const seqsOf = (events: LoggedEvent[]): bigint[] => events.map((e) => BigInt(e.cursor));

/**
 * The events a listener takes, above its cursor, in order: those of its rooms.
 * Its own membership changes move its rooms as they pass: a room it joins
 * counts from its join on, a room it leaves up to its leaving.
 */
export function eventsFor(listener: FeedListener, events: LoggedEvent[], seqs: bigint[]): LoggedEvent[] {
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
