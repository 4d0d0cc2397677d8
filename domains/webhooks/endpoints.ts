import type { Config } from '../../lib/config.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { Db } from '../../lib/infra/db.js';
import { newId } from '../../lib/infra/ids.js';
import type { WebhookEndpoint } from '../../lib/generated/prisma/client.js';
import { checkTarget } from './address-guard.js';
import type { WebhookEventType } from './event-types.js';
import { newSecret, openSecret, sealSecret } from './secrets.js';

// A tenant's webhook endpoints. The secret is answered once, when it is made
// (registration, rotation); afterwards only deliveries use it.

export type EndpointStatus = 'active' | 'disabled';

export interface EndpointFields {
  url: string;
  eventTypes: WebhookEventType[];
  description?: string | null;
}

/** Refuses, as a 400 naming why, a URL deliveries could not or may not reach. */
async function vetUrl(config: Config, url: string): Promise<void> {
  const check = await checkTarget(url, config.env.SCAIWAVE_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES);
  if (!check.ok) throw new AppError(check.code, check.message, { fields: { url: check.message } });
}

export async function createEndpoint(db: Db, config: Config, tenantId: string, f: EndpointFields): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  await vetUrl(config, f.url);
  const id = newId();
  const secret = newSecret();
  const endpoint = await db.webhookEndpoint.create({
    data: { id, tenantId, url: f.url, description: f.description ?? null, eventTypes: [...new Set(f.eventTypes)], secretSealed: sealSecret(config, id, secret) },
  });
  return { endpoint, secret };
}

export const listEndpoints = (db: Db, tenantId: string): Promise<WebhookEndpoint[]> =>
  db.webhookEndpoint.findMany({ where: { tenantId }, orderBy: { createdAt: 'asc' } });

/** The tenant's endpoint; another tenant's is as absent as one never made. */
export async function findEndpoint(db: Db, tenantId: string, id: string): Promise<WebhookEndpoint> {
  const e = await db.webhookEndpoint.findFirst({ where: { id, tenantId } });
  if (!e) throw notFound('webhook endpoint');
  return e;
}

/** Changes what is given; `status: 'active'` turns a disabled endpoint back on. */
export async function updateEndpoint(
  db: Db,
  config: Config,
  tenantId: string,
  id: string,
  patch: Partial<EndpointFields> & { status?: EndpointStatus },
): Promise<WebhookEndpoint> {
  await findEndpoint(db, tenantId, id);
  if (patch.url !== undefined) await vetUrl(config, patch.url);
  const reenable = patch.status === 'active' ? { disabledReason: null, disabledAt: null } : {};
  const disable = patch.status === 'disabled' ? { disabledReason: 'disabled by an admin', disabledAt: new Date() } : {};
  return db.webhookEndpoint.update({
    where: { id },
    data: {
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.eventTypes !== undefined ? { eventTypes: [...new Set(patch.eventTypes)] } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.status !== undefined ? { status: patch.status } : {}),
      ...reenable,
      ...disable,
    },
  });
}

/** The endpoint, its deliveries and their attempts; a delivery still being tried finds it gone and stops. */
export async function deleteEndpoint(db: Db, tenantId: string, id: string): Promise<void> {
  await findEndpoint(db, tenantId, id);
  await db.$transaction(async (tx) => {
    const deliveries = await tx.webhookDelivery.findMany({ where: { endpointId: id }, select: { id: true } });
    await tx.webhookDeliveryAttempt.deleteMany({ where: { deliveryId: { in: deliveries.map((d) => d.id) } } });
    await tx.webhookDelivery.deleteMany({ where: { endpointId: id } });
    await tx.webhookNotification.deleteMany({ where: { endpointId: id } });
    await tx.webhookEndpoint.delete({ where: { id } });
  });
}

/**
 * A new secret; the one it replaces goes on signing (beside it) for the
 * overlap, so a receiver verifies either while it switches. A rotation inside
 * an overlap ends the older one's: two secrets at most.
 */
export async function rotateSecret(db: Db, config: Config, tenantId: string, id: string): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const current = await findEndpoint(db, tenantId, id);
  const secret = newSecret();
  const overlapMs = config.env.SCAIWAVE_WEBHOOKS_ROTATION_OVERLAP_SECONDS * 1000;
  const endpoint = await db.webhookEndpoint.update({
    where: { id },
    data: {
      secretSealed: sealSecret(config, id, secret),
      previousSecretSealed: overlapMs > 0 ? current.secretSealed : null,
      previousSecretExpiresAt: overlapMs > 0 ? new Date(Date.now() + overlapMs) : null,
    },
  });
  return { endpoint, secret };
}

/** The secrets a delivery signs with now: the current one, and the previous while its overlap lasts. */
export function signingSecrets(config: Config, e: WebhookEndpoint, now = new Date()): string[] {
  const secrets = [openSecret(config, e.id, e.secretSealed)];
  if (e.previousSecretSealed && e.previousSecretExpiresAt && e.previousSecretExpiresAt > now) {
    secrets.push(openSecret(config, e.id, e.previousSecretSealed));
  }
  return secrets;
}

/**
 * Disables an active endpoint and tells the tenant's admins why, both or
 * neither (one transaction); an endpoint already disabled is left as it is,
 * so a repeated step tells them once.
 */
export async function disableEndpoint(db: Db, endpointId: string, reason: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const changed = await tx.webhookEndpoint.updateMany({
      where: { id: endpointId, status: 'active' satisfies EndpointStatus },
      data: { status: 'disabled' satisfies EndpointStatus, disabledReason: reason.slice(0, 500), disabledAt: new Date() },
    });
    if (changed.count === 0) return;
    const e = await tx.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId } });
    await tx.webhookNotification.create({
      data: { id: newId(), tenantId: e.tenantId, endpointId, kind: 'endpoint_disabled', message: `webhook endpoint ${e.url} disabled: ${reason}`.slice(0, 500) },
    });
  });
}

export const listNotifications = (db: Db, tenantId: string, limit: number) =>
  db.webhookNotification.findMany({ where: { tenantId }, orderBy: { createdAt: 'desc' }, take: limit });
