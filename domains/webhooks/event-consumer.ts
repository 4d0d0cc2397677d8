import { AckPolicy, DeliverPolicy, type JsMsg, type NatsConnection } from 'nats';
import type { Config } from '../../lib/config.js';
import { complianceEventsStream, ensureStream, scaiechoJobsStream, type StreamSpec } from '../../lib/events/jetstream.js';
import type { Db } from '../../lib/infra/db.js';
import type { Logger } from '../../lib/infra/logger.js';
import { reconnecting } from '../../lib/events/reconnecting.js';
import { streamName } from '../../lib/infra/nats.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { startWebhookDelivery } from './client.js';
import { recordDeliveries } from './deliveries.js';
import { webhookEventOf } from './lifecycle-events.js';

// The workers' durable JetStream consumers that turn lifecycle events (a job
// ended, an export or an erasure completed) into deliveries: for each event,
// the tenant's active endpoints subscribed to its type get a delivery row and
// a webhook-delivery workflow, and only then is the event acknowledged. A
// worker killed before the ack leaves the event to come again; its deliveries'
// ids derive from endpoint and event, so the rows and workflows are found, not
// made twice. The workflows that publish these events are not touched.
//
// One consumer per stream, shared by every worker of the task queue (its name
// says which, so test stacks on queues of their own never take each other's
// events). It starts at the events published from its creation on.

const ACK_WAIT_MS = 60_000;
const RETRY_LATER_MS = 5000;
/**
 * Events handed on at once: each is a few queries and a workflow start, and
 * events are independent (each acked on its own), so order does not matter
 * and one slow start does not hold up the rest.
 */
const CONCURRENCY = 32;

const FEEDS: { spec: StreamSpec; filter: string }[] = [
  { spec: scaiechoJobsStream, filter: 'scaiecho.jobs.>' },
  { spec: complianceEventsStream, filter: 'compliance.>' },
];

/** A consumer name of the task queue's: NATS allows no `.`, `*`, `>` or spaces in one. */
export const webhookConsumerName = (config: Config): string => `webhooks-${config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE.replace(/[^A-Za-z0-9_-]/g, '_')}`;

interface WebhookFeed {
  close(): Promise<void>;
}

export function startWebhookFeed(config: Config, starter: Starter, db: Db, logger: Logger): WebhookFeed {
  const stops = new Set<() => void>();
  const prefix = config.env.SCAIWAVE_NATS_PREFIX ? `${config.env.SCAIWAVE_NATS_PREFIX}.` : '';
  const durable = webhookConsumerName(config);

  /** The event's deliveries made and started; throws (the event comes again) when a store or Temporal is away. */
  async function handOn(m: JsMsg): Promise<void> {
    let fields: Record<string, unknown>;
    try {
      fields = m.json<Record<string, unknown>>();
    } catch {
      return;
    }
    const event = webhookEventOf(m.subject.startsWith(prefix) ? m.subject.slice(prefix.length) : m.subject, fields);
    if (!event) return;
    const endpoints = await db.webhookEndpoint.findMany({ where: { tenantId: event.tenantId, status: 'active' }, select: { id: true, eventTypes: true } });
    const subscribed = endpoints.filter((e) => Array.isArray(e.eventTypes) && e.eventTypes.includes(event.type)).map((e) => e.id);
    if (subscribed.length === 0) return;
    for (const d of await recordDeliveries(db, event, subscribed)) await startWebhookDelivery(starter, d);
  }

  async function session(conn: NatsConnection, feed: (typeof FEEDS)[number]): Promise<void> {
    await ensureStream(conn, config, feed.spec);
    const stream = streamName(config, feed.spec.name);
    await (await conn.jetstreamManager()).consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      filter_subject: `${prefix}${feed.filter}`,
      ack_wait: ACK_WAIT_MS * 1_000_000,
    });
    const consumer = await conn.jetstream().consumers.get(stream, durable);
    const messages = await consumer.consume({ max_messages: CONCURRENCY * 2, abort_on_missing_resource: true });
    const stop = () => void messages.close();
    stops.add(stop);
    const inflight = new Set<Promise<void>>();
    const settle = async (m: JsMsg): Promise<void> => {
      try {
        await handOn(m);
        m.ack();
      } catch (err) {
        logger.warn({ err: (err as Error).message, subject: m.subject }, 'webhook feed could not hand an event on; it comes again');
        try {
          m.nak(RETRY_LATER_MS);
        } catch (nakErr) {
          logger.debug({ err: (nakErr as Error).message }, 'webhook feed could not nak an event (connection closed); it comes again after the ack wait');
        }
      }
    };
    try {
      for await (const m of messages) {
        const p: Promise<void> = settle(m).finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= CONCURRENCY) await Promise.race(inflight);
        if (feeds.some((f) => f.closed)) break;
      }
    } finally {
      await Promise.all(inflight);
      stops.delete(stop);
      await messages.close();
      await conn.flush().catch(() => undefined);
    }
  }

  const feeds = FEEDS.map((feed) => reconnecting(config, `scaiwave-webhook-feed-${feed.spec.name}`, logger, 'webhook feed', (nc) => session(nc, feed)));

  return {
    async close() {
      for (const f of feeds) f.stop();
      for (const stop of stops) stop();
      await Promise.all(feeds.map((f) => f.done));
    },
  };
}
