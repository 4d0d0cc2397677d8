import { Context } from '@temporalio/activity';
import type { ActivityDeps } from '../../lib/temporal/activity-deps.js';
import { checkTarget } from './address-guard.js';
import { recordAttempt, settleDelivery, type DeliveryStatus } from './deliveries.js';
import { disableEndpoint, signingSecrets } from './endpoints.js';
import { signatureHeader } from './secrets.js';
import { sendWebhook } from './send.js';

/** What one try came to: the workflow decides from it whether to wait and try again. */
export type TryOutcome =
  | { outcome: 'delivered'; statusCode: number }
  | { outcome: 'gone' }
  | { outcome: 'abandoned'; reason: string }
  | { outcome: 'failed'; statusCode: number | null; error: string | null };

const HEARTBEAT_MS = 2000;

/** Beats while the try runs, so a worker that dies mid-try is noticed within the heartbeat timeout, not the try's whole bound. */
async function beating<R>(step: () => Promise<R>): Promise<R> {
  const ctx = Context.current();
  ctx.heartbeat();
  const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
  try {
    return await step();
  } finally {
    clearInterval(beat);
  }
}

export function webhookActivities(deps: ActivityDeps) {
  const { db, config } = deps;
  return {
    /**
     * One try of a delivery, logged as attempt `attempt`: the endpoint as it is
     * now (a disabled or deleted one is not tried), its URL checked on the
     * addresses it resolves to now, signed with the secrets valid now. The
     * receiver's answer is the outcome, never a thrown error: only a crash or
     * our own database makes Temporal retry this step.
     */
    tryWebhookDelivery: (input: { deliveryId: string; attempt: number }): Promise<TryOutcome> => beating(() => tryOnce(input)),

    /** The delivery's end; with `disable`, its endpoint is disabled and the tenant's admins told why. */
    async settleWebhookDelivery(input: { deliveryId: string; status: Exclude<DeliveryStatus, 'pending'>; disable?: string }): Promise<void> {
      await settleDelivery(db, input.deliveryId, input.status);
      if (!input.disable) return;
      const delivery = await db.webhookDelivery.findUnique({ where: { id: input.deliveryId } });
      if (delivery) await disableEndpoint(db, delivery.endpointId, input.disable);
    },
  };

  async function tryOnce(input: { deliveryId: string; attempt: number }): Promise<TryOutcome> {
    const delivery = await db.webhookDelivery.findUnique({ where: { id: input.deliveryId } });
    if (!delivery) return { outcome: 'abandoned', reason: 'the delivery was removed with its endpoint' };
    if (delivery.status !== 'pending') return { outcome: 'abandoned', reason: `the delivery is already ${delivery.status}` };
    const endpoint = await db.webhookEndpoint.findUnique({ where: { id: delivery.endpointId } });
    if (!endpoint) return { outcome: 'abandoned', reason: 'the endpoint was deleted' };
    if (endpoint.status !== 'active') return { outcome: 'abandoned', reason: 'the endpoint is disabled' };

    const startedAt = new Date();
    const check = await checkTarget(endpoint.url, config.env.SCAIWAVE_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES);
    if (!check.ok) {
      await recordAttempt(db, { ...input, startedAt, statusCode: null, latencyMs: 0, error: `${check.code}: ${check.message}` });
      return { outcome: 'failed', statusCode: null, error: check.code };
    }
    const body = JSON.stringify(delivery.payload);
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const headers = {
      'webhook-id': delivery.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(signingSecrets(config, endpoint, startedAt), delivery.id, timestamp, body),
    };
    const sent = await sendWebhook(endpoint.url, check.target, headers, body, config.env.SCAIWAVE_WEBHOOKS_TIMEOUT_MS);
    await recordAttempt(db, { ...input, startedAt, ...sent });
    if (sent.statusCode !== null && sent.statusCode >= 200 && sent.statusCode < 300) return { outcome: 'delivered', statusCode: sent.statusCode };
    if (sent.statusCode === 410) return { outcome: 'gone' };
    return { outcome: 'failed', statusCode: sent.statusCode, error: sent.error };
  }
}

export type WebhookActivities = ReturnType<typeof webhookActivities>;
