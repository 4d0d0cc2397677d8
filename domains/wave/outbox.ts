import type { SqlOn } from '../../lib/infra/db.js';
import { newId } from '../../lib/infra/ids.js';
import { roomSubject, type WaveEvent, type WaveEventType } from './events.js';
import { insertOutboxRow } from './sql.js';

type EventFields = Omit<WaveEvent, 'id' | 'at' | 'type'>;

const newEvent = (type: WaveEventType, fields: EventFields): WaveEvent => ({ id: newId(), type, at: new Date().toISOString(), ...fields });

/**
 * Records a room event in the transaction that makes the change, so the event
 * exists exactly when the change does; domains/wave/outbox-relay.ts publishes it.
 * One INSERT, inside a Prisma transaction or the driver's (postMessage).
 */
export async function appendEvent(tx: SqlOn, type: WaveEventType, fields: EventFields): Promise<WaveEvent> {
  const event = newEvent(type, fields);
  await insertOutboxRow(tx, {
    msgId: event.id,
    tenantId: event.tenantId,
    roomId: event.roomId,
    subject: roomSubject(event.tenantId, event.roomId, type),
    payload: JSON.stringify(event),
    createdAt: new Date(),
  });
  return event;
}
