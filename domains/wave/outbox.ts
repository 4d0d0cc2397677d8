import type { SqlOn } from '../../lib/infra/db.js';
import { newId } from '../../lib/infra/ids.js';
import { roomSubject, type WaveEvent, type WaveEventType } from './events.js';
import { insertOutboxRows, type OutboxRow } from './sql.js';

type EventFields = Omit<WaveEvent, 'id' | 'at' | 'type'>;

const newEvent = (type: WaveEventType, fields: EventFields): WaveEvent => ({ id: newId(), type, at: new Date().toISOString(), ...fields });

const outboxRow = (event: WaveEvent): OutboxRow => ({
  msgId: event.id,
  tenantId: event.tenantId,
  roomId: event.roomId,
  subject: roomSubject(event.tenantId, event.roomId, event.type),
  payload: JSON.stringify(event),
  createdAt: new Date(),
});

/**
 * Records a room event in the transaction that makes the change, so the event
 * exists exactly when the change does; domains/wave/outbox-relay.ts publishes it.
 * One INSERT, inside a Prisma transaction or the driver's (postMessage).
 */
export async function appendEvent(tx: SqlOn, type: WaveEventType, fields: EventFields): Promise<WaveEvent> {
  const [event] = await appendEvents(tx, type, [fields]);
  return event!;
}

/** Events of one type in one INSERT, in the order given (the outbox's id order is the log's). */
export async function appendEvents(tx: SqlOn, type: WaveEventType, fields: EventFields[]): Promise<WaveEvent[]> {
  const events = fields.map((f) => newEvent(type, f));
  if (events.length > 0) await insertOutboxRows(tx, events.map(outboxRow));
  return events;
}
