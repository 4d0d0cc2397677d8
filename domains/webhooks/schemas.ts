import { z } from 'zod';
import type { WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint, WebhookNotification } from '../../lib/generated/prisma/client.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './event-types.js';

export const webhookEndpoint = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    event_types: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
    status: z.enum(['active', 'disabled']),
    disabled_reason: z.string().nullable().meta({ description: 'why it was disabled (410 Gone, every try failing for the retry window, an admin)' }),
    disabled_at: z.iso.datetime().nullable(),
    previous_secret_expires_at: z.iso.datetime().nullable().meta({ description: 'until then deliveries are signed with the secret before the last rotation too' }),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'WebhookEndpoint' });

export const webhookEndpointWithSecret = webhookEndpoint
  .extend({ secret: z.string().meta({ description: 'the signing secret (`whsec_…`), shown this once' }) })
  .meta({ id: 'WebhookEndpointWithSecret' });

export const webhookDelivery = z
  .object({
    id: z.string().meta({ description: 'the `webhook-id` every try of it sends' }),
    event_id: z.string(),
    event_type: z.enum(WEBHOOK_EVENT_TYPES),
    status: z.enum(['pending', 'delivered', 'failed', 'abandoned']),
    replay_of: z.string().nullable(),
    created_at: z.iso.datetime(),
    settled_at: z.iso.datetime().nullable(),
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        started_at: z.iso.datetime(),
        status_code: z.number().int().nullable(),
        latency_ms: z.number().int(),
        error: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'WebhookDelivery' });

export const webhookNotification = z
  .object({ id: z.string(), endpoint_id: z.string(), kind: z.literal('endpoint_disabled'), message: z.string(), created_at: z.iso.datetime() })
  .meta({ id: 'WebhookNotification' });

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

export const endpointView = (e: WebhookEndpoint): z.output<typeof webhookEndpoint> => ({
  id: e.id,
  url: e.url,
  description: e.description,
  event_types: (e.eventTypes as WebhookEventType[]).filter((t) => WEBHOOK_EVENT_TYPES.includes(t)),
  status: e.status === 'disabled' ? 'disabled' : 'active',
  disabled_reason: e.disabledReason,
  disabled_at: iso(e.disabledAt),
  previous_secret_expires_at: e.previousSecretExpiresAt && e.previousSecretExpiresAt > new Date() ? e.previousSecretExpiresAt.toISOString() : null,
  created_at: e.createdAt.toISOString(),
});

export const deliveryView = (d: WebhookDelivery & { attempts?: WebhookDeliveryAttempt[] }): z.output<typeof webhookDelivery> => ({
  id: d.id,
  event_id: d.eventId,
  event_type: d.eventType as WebhookEventType,
  status: d.status as z.output<typeof webhookDelivery>['status'],
  replay_of: d.replayOf,
  created_at: d.createdAt.toISOString(),
  settled_at: iso(d.settledAt),
  attempts: (d.attempts ?? []).map((a) => ({
    attempt: a.attempt,
    started_at: a.startedAt.toISOString(),
    status_code: a.statusCode,
    latency_ms: a.latencyMs,
    error: a.error,
  })),
});

export const notificationView = (n: WebhookNotification): z.output<typeof webhookNotification> => ({
  id: n.id,
  endpoint_id: n.endpointId,
  kind: 'endpoint_disabled',
  message: n.message,
  created_at: n.createdAt.toISOString(),
});
