// The events a webhook endpoint may subscribe to, named once. Their payloads
// carry ids, statuses and the URLs to fetch the rest: never a transcript, a
// message or anything else a person said or wrote.

export const WEBHOOK_EVENT_TYPES = [
  'scaiecho.job.completed',
  'scaiecho.job.failed',
  'scaiecho.job.cancelled',
  'wave.export.completed',
  'wave.erasure.completed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** One event, as it is delivered to every endpoint subscribed to its type. */
export interface WebhookEvent {
  /** stable across redeliveries of the same event: a delivery's id derives from it */
  id: string;
  type: WebhookEventType;
  tenantId: string;
  occurredAt: string;
  data: Record<string, string | number | boolean | null>;
}

/** The body every try of a delivery sends (the Standard Webhooks shape). */
export const webhookBody = (e: Pick<WebhookEvent, 'type' | 'occurredAt' | 'data'>) => ({ type: e.type, timestamp: e.occurredAt, data: e.data });
