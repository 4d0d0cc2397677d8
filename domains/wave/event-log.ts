import type { Caller } from '../../lib/auth/caller-identity.js';
import type { WaveMessage } from '../../lib/generated/prisma/client.js';
import type { SqlPool } from '../../lib/infra/db.js';
import type { WaveEvent } from './events.js';
import { latestStreamSeq, memberRooms, messagesById, relayedAfter } from './sql.js';

// What a client syncs from: the relayed outbox rows of the rooms it is in,
// ordered by the JetStream sequence each event got. The cursor is that
// sequence: a client resumes after the last one it saw. The relay commits a
// batch's sequences together and one pass runs at a time, so a row never
// becomes readable behind a cursor a client already holds.
//
// Every long-poll, socket and the event feed read here, so through the driver
// (domains/wave/sql.ts says why).

/** How many events one sync answer or socket frame carries at most; a client with more to read asks again at once. */
export const SYNC_BATCH = 200;

export interface LoggedEvent extends WaveEvent {
  cursor: string;
}

export interface EventBatch {
  events: LoggedEvent[];
  /** where the next read starts: the last event's cursor, or the one given */
  cursor: string;
  /** messages the events name, as they are now (a deleted one as its tombstone) */
  messages: WaveMessage[];
  /** the rooms read: whose events the reader takes from the feed next (domains/wave/event-feed.ts) */
  rooms: ReadonlySet<string>;
}

/** The newest cursor of the caller's tenant: where a client with no cursor starts. */
export async function latestCursor(sql: SqlPool, tenantId: string): Promise<string> {
  return (await latestStreamSeq(sql, tenantId)).toString();
}

/** The tenant's relayed events after `cursor`, in order; only those of `rooms` when given. */
export async function loggedEvents(sql: SqlPool, tenantId: string, cursor: bigint, limit: number, rooms?: string[]): Promise<LoggedEvent[]> {
  const rows = await relayedAfter(sql, tenantId, cursor, limit, rooms);
  return rows.map((r) => ({ ...(JSON.parse(r.payload) as WaveEvent), cursor: r.stream_seq.toString() }));
}

/** The ids of the messages the events name. */
export const namedIds = (events: LoggedEvent[]): Set<string> => new Set(events.flatMap((e) => (e.messageId ? [e.messageId] : [])));

/** The messages the events name, as they are now. */
export function namedMessages(sql: SqlPool, tenantId: string, events: LoggedEvent[]): Promise<WaveMessage[]> {
  return messagesById(sql, tenantId, [...namedIds(events)]);
}

export async function eventsSince(sql: SqlPool, caller: Caller, cursor: bigint, limit: number): Promise<EventBatch> {
  const rooms = await memberRooms(sql, caller);
  const events = rooms.length === 0 ? [] : await loggedEvents(sql, caller.tenantId, cursor, limit, rooms);
  const messages = await namedMessages(sql, caller.tenantId, events);
  return { events, cursor: events.at(-1)?.cursor ?? cursor.toString(), messages, rooms: new Set(rooms) };
}
