import type { Connection } from 'mariadb';
import type { Prisma } from '../../lib/generated/prisma/client.js';
import { newId } from '../../lib/infra/ids.js';
import { roomSubject, type WaveEvent, type WaveEventType } from './events.js';

type EventFields = Omit<WaveEvent, 'id' | 'at' | 'type'>;

const newEvent = (type: WaveEventType, fields: EventFields): WaveEvent => ({ id: newId(), type, at: new Date().toISOString(), ...fields });

/**
 * Records a room event in the transaction that makes the change, so the event
 * exists exactly when the change does; domains/wave/outbox-relay.ts publishes it.
 */
export async function appendEvent(tx: Prisma.TransactionClient, type: WaveEventType, fields: EventFields): Promise<WaveEvent> {
  const event = newEvent(type, fields);
  await tx.waveOutbox.create({
    data: {
      msgId: event.id,
      tenantId: event.tenantId,
      roomId: event.roomId,
      subject: roomSubject(event.tenantId, event.roomId, type),
      payload: event as unknown as Prisma.InputJsonObject,
    },
  });
  return event;
}

/** appendEvent, for a change made through the driver (postMessage, domains/wave/messages.ts): the same row, one INSERT. */
export async function appendEventSql(conn: Connection, type: WaveEventType, fields: EventFields): Promise<WaveEvent> {
  const event = newEvent(type, fields);
  await conn.query('INSERT INTO wave_outbox (msg_id, tenant_id, room_id, subject, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
    event.id,
    event.tenantId,
    event.roomId,
    roomSubject(event.tenantId, event.roomId, type),
    JSON.stringify(event),
    new Date(),
  ]);
  return event;
}
