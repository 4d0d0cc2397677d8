import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../../lib/infra/db.js';
import { notFound } from '../../lib/errors.js';
import type { WebhookDelivery } from '../../lib/generated/prisma/client.js';
import { webhookBody, type WebhookEvent } from './event-types.js';

// A delivery is one event for one endpoint. Its id derives from both, so the
// same event read twice from JetStream (a worker killed before its ack) finds
// its row and its workflow (webhook-delivery-{id}) and makes neither again; it
// is also the `webhook-id` every try sends, by which receivers drop repeats.

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'abandoned';

export const deliveryIdOf = (endpointId: string, eventId: string): string =>
  `msg_${createHash('sha256').update(`${endpointId}\n${eventId}`).digest('hex').slice(0, 32)}`;

/** The event's delivery to each endpoint, made once whoever asks again. */
export async function recordDeliveries(db: Db, event: WebhookEvent, endpointIds: string[]): Promise<WebhookDelivery[]> {
  const rows = endpointIds.map((endpointId) => ({
    id: deliveryIdOf(endpointId, event.id),
    tenantId: event.tenantId,
    endpointId,
    eventId: event.id,
    eventType: event.type,
    payload: webhookBody(event),
  }));
  await db.webhookDelivery.createMany({ data: rows, skipDuplicates: true });
  return db.webhookDelivery.findMany({ where: { id: { in: rows.map((r) => r.id) } } });
}

/** A delivery sent again, as a new one (its own id, attempts and workflow) naming the one it repeats. */
export async function replayDelivery(db: Db, original: WebhookDelivery): Promise<WebhookDelivery> {
  return db.webhookDelivery.create({
    data: {
      id: deliveryIdOf(original.endpointId, `${original.eventId}#replay-${randomUUID()}`),
      tenantId: original.tenantId,
      endpointId: original.endpointId,
      eventId: original.eventId,
      eventType: original.eventType,
      payload: original.payload ?? {},
      replayOf: original.id,
    },
  });
}

export async function findDelivery(db: Db, endpointId: string, deliveryId: string): Promise<WebhookDelivery> {
  const d = await db.webhookDelivery.findFirst({ where: { id: deliveryId, endpointId } });
  if (!d) throw notFound('webhook delivery');
  return d;
}

/** The endpoint's deliveries, newest first, each with its attempts in order. */
export async function listDeliveries(db: Db, endpointId: string, limit: number) {
  const deliveries = await db.webhookDelivery.findMany({ where: { endpointId }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: limit });
  const attempts = await db.webhookDeliveryAttempt.findMany({ where: { deliveryId: { in: deliveries.map((d) => d.id) } }, orderBy: { attempt: 'asc' } });
  return deliveries.map((d) => ({ ...d, attempts: attempts.filter((a) => a.deliveryId === d.id) }));
}

export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  startedAt: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/** One try's outcome; the same try repeated (a worker killed after sending) overwrites its row. */
export async function recordAttempt(db: Db, a: AttemptRecord): Promise<void> {
  const fields = { startedAt: a.startedAt, statusCode: a.statusCode, latencyMs: a.latencyMs, error: a.error?.slice(0, 500) ?? null };
  await db.webhookDeliveryAttempt.upsert({
    where: { deliveryId_attempt: { deliveryId: a.deliveryId, attempt: a.attempt } },
    create: { deliveryId: a.deliveryId, attempt: a.attempt, ...fields },
    update: fields,
  });
}

/** The delivery's end; only a pending one moves, so a repeated step changes nothing. */
export async function settleDelivery(db: Db, deliveryId: string, status: Exclude<DeliveryStatus, 'pending'>): Promise<void> {
  await db.webhookDelivery.updateMany({ where: { id: deliveryId, status: 'pending' satisfies DeliveryStatus }, data: { status, settledAt: new Date() } });
}
