import type { Connection } from 'mariadb';
import type { Prisma } from '../../lib/generated/prisma/client.js';
import { newId } from '../../lib/infra/ids.js';
import { roomSubject, type WaveEvent, type WaveEventType } from './events.js';

type EventFields = Omit<WaveEvent, 'id' | 'at' | 'type'>;

const newEvent = (type: WaveEventType, fields: EventFields): WaveEvent => ({ id: newId(), type, at: new Date().toISOString(), ...fields });

const OUTBOX_INSERT = 'INSERT INTO wave_outbox (msg_id, tenant_id, room_id, subject, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)';

/**
 * Records a room event in the transaction that makes the change, so the event
 * exists exactly when the change does; domains/wave/outbox-relay.ts publishes it.
 * One INSERT, inside a Prisma transaction or the driver's (postMessage).
 */
export async function appendEvent(tx: Prisma.TransactionClient | Connection, type: WaveEventType, fields: EventFields): Promise<WaveEvent> {
  const event = newEvent(type, fields);
  const row = [event.id, event.tenantId, event.roomId, roomSubject(event.tenantId, event.roomId, type), JSON.stringify(event), new Date()];
  await ('$executeRawUnsafe' in tx ? tx.$executeRawUnsafe(OUTBOX_INSERT, ...row) : tx.query(OUTBOX_INSERT, row));
  return event;
}
