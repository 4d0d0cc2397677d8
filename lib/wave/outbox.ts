import type { Prisma } from '../generated/prisma/client.js';
import { newId } from '../infra/ids.js';
import { roomSubject, type WaveEvent, type WaveEventType } from './events.js';

export type EventFields = Omit<WaveEvent, 'id' | 'at' | 'type'>;

/**
 * Records a room event in the transaction that makes the change, so the event
 * exists exactly when the change does; lib/wave/outbox-relay.ts publishes it.
 */
export async function appendEvent(tx: Prisma.TransactionClient, type: WaveEventType, fields: EventFields): Promise<WaveEvent> {
  const event: WaveEvent = { id: newId(), type, at: new Date().toISOString(), ...fields };
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
