import { AckPolicy, DeliverPolicy, type JsMsg, type NatsConnection } from 'nats';
import type { Config } from '../config.js';
import { ensureStream } from '../events/jetstream.js';
import type { Logger } from '../infra/logger.js';
import { connectNats, streamName, subject } from '../infra/nats.js';
import type { Starter } from '../temporal/starter.js';
import { waveRoomsStream, type WaveEvent } from '../wave/events.js';
import { signalMessagesChanged } from './index-workflows.js';

// The durable JetStream consumer that feeds search indexing: it reads the
// message events of WAVE_ROOMS in batches, signals each tenant's
// wave-search-index workflow once per batch with the ids that changed, and
// acknowledges the batch only then. A worker killed before the ack leaves the
// batch to be delivered again (to it restarted, or to another worker: the
// consumer is shared); a repeated signal only queues an id again, and the
// workflow indexes a message as MariaDB has it, so a repeat changes nothing.
// Membership and reaction events are not read: they do not change the index.

export const SEARCH_CONSUMER = 'search-indexer';
const FETCH = 256;
/** How long a fetch waits for messages when the stream is quiet. */
const EXPIRES_MS = 2000;
/** Unacknowledged this long, a batch is delivered again. */
const ACK_WAIT_MS = 60_000;

/** The room event a message carries, or undefined for anything else. */
function eventOf(m: JsMsg): WaveEvent | undefined {
  try {
    const e = m.json<Partial<WaveEvent>>();
    return typeof e.tenantId === 'string' && typeof e.type === 'string' ? (e as WaveEvent) : undefined;
  } catch {
    return undefined;
  }
}

export interface SearchFeed {
  close(): Promise<void>;
}

/** Starts consuming in the background, connecting (and reconnecting) to NATS by itself. */
export function startSearchFeed(config: Config, starter: Starter, logger: Logger): SearchFeed {
  const stream = streamName(config, waveRoomsStream.name);
  let closed = false;

  async function consume(conn: NatsConnection): Promise<void> {
    await ensureStream(conn, config, waveRoomsStream);
    await (await conn.jetstreamManager()).consumers.add(stream, {
      durable_name: SEARCH_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subject(config, 'wave.*.rooms.*.message.*'),
      ack_wait: ACK_WAIT_MS * 1_000_000,
      max_ack_pending: FETCH * 4,
    });
    const consumer = await conn.jetstream().consumers.get(stream, SEARCH_CONSUMER);
    while (!closed) {
      const batch: JsMsg[] = [];
      for await (const m of await consumer.fetch({ max_messages: FETCH, expires: EXPIRES_MS })) batch.push(m);
      if (batch.length === 0) continue;
      try {
        await signal(batch);
      } catch (err) {
        // Delivered again after a pause: Temporal may be back by then.
        for (const m of batch) m.nak(5000);
        logger.warn({ err: (err as Error).message, events: batch.length }, 'search feed batch not signalled; it comes again');
        continue;
      }
      for (const m of batch) m.ack();
    }
  }

  /** One signal per tenant of the batch, with the ids of its changed messages. */
  async function signal(batch: JsMsg[]): Promise<void> {
    const byTenant = new Map<string, { ids: Set<string>; at: number }>();
    for (const m of batch) {
      const e = eventOf(m);
      if (!e) {
        // Not an event of ours: delivering it again would stop every batch behind it.
        m.term();
        continue;
      }
      if (!e.messageId) continue;
      const at = Number.isFinite(Date.parse(e.at)) ? Date.parse(e.at) : Date.now();
      const t = byTenant.get(e.tenantId) ?? { ids: new Set<string>(), at };
      byTenant.set(e.tenantId, t);
      t.ids.add(e.messageId);
      t.at = Math.min(t.at, at);
    }
    for (const [tenantId, t] of byTenant) await signalMessagesChanged(starter, tenantId, { messageIds: [...t.ids], at: t.at });
  }

  const loop = (async () => {
    while (!closed) {
      let nc: NatsConnection | undefined;
      try {
        nc = await connectNats(config, 'scaiwave-search-feed');
        await consume(nc);
      } catch (err) {
        if (!closed) logger.warn({ err: (err as Error).message }, 'search feed interrupted; reconnecting');
      } finally {
        await nc?.close().catch(() => undefined);
      }
      if (!closed) await new Promise((r) => setTimeout(r, 2000));
    }
  })();

  return {
    async close() {
      closed = true;
      await loop;
    },
  };
}
