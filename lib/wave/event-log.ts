import type { Caller } from '../auth/caller.js';
import type { WaveMessage } from '../generated/prisma/client.js';
import type { Db } from '../infra/db.js';
import type { WaveEvent } from './events.js';
import { memberRooms } from './membership.js';

// What a client syncs from: the relayed outbox rows of the rooms it is in,
// ordered by the JetStream sequence each event got. The cursor is that
// sequence: a client resumes after the last one it saw. The relay commits a
// batch's sequences together and one pass runs at a time, so a row never
// becomes readable behind a cursor a client already holds.

export interface LoggedEvent extends WaveEvent {
  cursor: string;
}

export interface EventBatch {
  events: LoggedEvent[];
  /** where the next read starts: the last event's cursor, or the one given */
  cursor: string;
  /** messages the events name, as they are now (a deleted one as its tombstone) */
  messages: WaveMessage[];
  /** the rooms read: whose events should wake the reader next (lib/wave/event-bell.ts) */
  rooms: ReadonlySet<string>;
}

/** The newest cursor of the caller's tenant: where a client with no cursor starts. */
export async function latestCursor(db: Db, tenantId: string): Promise<string> {
  const last = await db.waveOutbox.findFirst({ where: { tenantId, streamSeq: { not: null } }, orderBy: { streamSeq: 'desc' }, select: { streamSeq: true } });
  return (last?.streamSeq ?? 0n).toString();
}

export async function eventsSince(db: Db, caller: Caller, cursor: bigint, limit: number): Promise<EventBatch> {
  const rooms = await memberRooms(db, caller);
  const rows =
    rooms.length === 0
      ? []
      : await db.waveOutbox.findMany({
          where: { tenantId: caller.tenantId, roomId: { in: rooms }, streamSeq: { gt: cursor } },
          orderBy: { streamSeq: 'asc' },
          take: limit,
        });
  const events = rows.map((r) => ({ ...(r.payload as unknown as WaveEvent), cursor: r.streamSeq!.toString() }));
  const messageIds = [...new Set(events.flatMap((e) => (e.messageId ? [e.messageId] : [])))];
  const messages = messageIds.length === 0 ? [] : await db.waveMessage.findMany({ where: { id: { in: messageIds }, tenantId: caller.tenantId } });
  return { events, cursor: events.at(-1)?.cursor ?? cursor.toString(), messages, rooms: new Set(rooms) };
}
