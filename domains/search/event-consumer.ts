import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, DeliverPolicy, type JsMsg, type NatsConnection } from 'nats';
import type { Config } from '../../lib/config.js';
import { ensureStream } from '../../lib/events/jetstream.js';
import type { Logger } from '../../lib/infra/logger.js';
import { reconnecting } from '../../lib/events/reconnecting.js';
import { streamName, subject } from '../../lib/infra/nats.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { waveRoomsStream, type WaveEvent } from '../wave/events.js';
import { feedBatches } from './feed-batches.js';
import { signalMessagesChanged } from './client.js';

// The durable JetStream consumer that feeds search indexing: it reads the
// message events of WAVE_ROOMS as they arrive, cuts them into batches
// (feed-batches.ts: a batch goes as soon as nothing more is pending), signals
// each tenant's wave-search-index workflow once per batch with the ids that
// changed, and acknowledges the batch only then. A worker killed before the
// ack leaves the batch to be delivered again (to it restarted, or to another
// worker: the consumer is shared); a repeated signal only queues an id again,
// and the workflow indexes a message as MariaDB has it, so a repeat changes
// nothing. Membership and reaction events are not read: they do not change the index.
//
// NATS reconnects by itself and the consumer resumes; a deleted consumer or
// stream ends the session, and the next one (2 s later, on a new connection)
// creates them again. On close the feed stops taking messages, hands on what
// it holds, and acknowledges it before the connection closes.

export const SEARCH_CONSUMER = 'search-indexer';
/** Events per batch at most, and how many the consumer pulls ahead. */
const BATCH = 256;
/** How long a batch short of complete waits for the events the consumer said were pending. */
const HOLD_MS = 100;
/**
 * How long after a batch the next one short of full may go. With no gap, at
 * 100 events/s the feed sent a batch every event or two (3 p50), each an
 * activity and an index commit: the worker and Temporal took 23 CPU seconds of a
 * 33 s phase, which the API needed to take the posts. 250 ms gave batches of
 * 14 and 500 ms of 40, with the worker and Temporal at 13.2 and 6.4 s, and
 * lag p99 0.41 and 0.61 s (bench/search-indexing.ts --embedder instant).
 */
const MIN_GAP_MS = 500;
/** Unacknowledged this long, an event is delivered again. */
const ACK_WAIT_MS = 60_000;
/** How long a stopping session waits for the server to confirm it has the last acks. */
const FLUSH_MS = 2000;

/** The room event a message carries, or undefined for anything else. */
function eventOf(m: JsMsg): WaveEvent | undefined {
  try {
    const e = m.json<Partial<WaveEvent>>();
    return typeof e.tenantId === 'string' && typeof e.type === 'string' ? (e as WaveEvent) : undefined;
  } catch {
    return undefined;
  }
}

interface SearchFeed {
  close(): Promise<void>;
}

/** Starts consuming in the background, connecting (and reconnecting) to NATS by itself. */
export function startSearchFeed(config: Config, starter: Starter, logger: Logger): SearchFeed {
  const stream = streamName(config, waveRoomsStream.name);
  let stopSession: (() => void) | undefined;

  async function session(conn: NatsConnection): Promise<void> {
    await ensureStream(conn, config, waveRoomsStream);
    await (await conn.jetstreamManager()).consumers.add(stream, {
      durable_name: SEARCH_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subject(config, 'wave.*.rooms.*.message.*'),
      ack_wait: ACK_WAIT_MS * 1_000_000,
      max_ack_pending: BATCH * 4,
    });
    const consumer = await conn.jetstream().consumers.get(stream, SEARCH_CONSUMER);
    const batches = feedBatches(handOn, { max: BATCH, holdMs: HOLD_MS, minGapMs: MIN_GAP_MS });
    const messages = await consumer.consume({
      max_messages: BATCH,
      // Without it the client would wait for a deleted consumer to come back; we recreate it.
      abort_on_missing_resource: true,
      callback: (m) => batches.add(m),
    });
    stopSession = () => void messages.close();
    try {
      if (feed.closed) return;
      const ended = await Promise.race([messages.closed(), conn.closed()]);
      if (ended instanceof Error && !feed.closed) throw ended;
    } finally {
      stopSession = undefined;
      await messages.close();
      await batches.drain();
      // Acks go out in the background; once the server has them a clean stop leaves nothing to deliver again.
      await Promise.race([conn.flush(), sleep(FLUSH_MS, undefined, { ref: false })]).catch(() => undefined);
    }
  }

  /** Signals the batch's changes, then acknowledges it; a batch not signalled comes again after a pause. */
  async function handOn(batch: JsMsg[]): Promise<void> {
    try {
      await signal(batch);
    } catch (err) {
      // Delivered again after a pause: Temporal may be back by then.
      settle(batch, (m) => m.nak(5000));
      logger.warn({ err: (err as Error).message, events: batch.length }, 'search feed batch not signalled; it comes again');
      return;
    }
    settle(batch, (m) => m.ack());
  }

  /** An ack or nak that cannot be sent (the connection closed) leaves the event to be delivered again. */
  function settle(batch: JsMsg[], how: (m: JsMsg) => void): void {
    try {
      for (const m of batch) how(m);
    } catch (err) {
      logger.warn({ err: (err as Error).message, events: batch.length }, 'search feed could not settle a batch; it comes again');
    }
  }

  /** One signal per tenant of the batch, with the ids of its changed messages and when each changed. */
  async function signal(batch: JsMsg[]): Promise<void> {
    const byTenant = new Map<string, Map<string, number>>();
    for (const m of batch) {
      const e = eventOf(m);
      if (!e) {
        // Not an event of ours: delivering it again would stop every batch behind it.
        m.term();
        continue;
      }
      if (!e.messageId) continue;
      const at = Number.isFinite(Date.parse(e.at)) ? Date.parse(e.at) : Date.now();
      const changes = byTenant.get(e.tenantId) ?? new Map<string, number>();
      byTenant.set(e.tenantId, changes);
      changes.set(e.messageId, Math.min(changes.get(e.messageId) ?? at, at));
    }
    for (const [tenantId, changes] of byTenant) {
      const changedAt = [...changes.values()];
      await signalMessagesChanged(starter, tenantId, { messageIds: [...changes.keys()], at: Math.min(...changedAt), changedAt });
    }
  }

  const feed = reconnecting(config, 'scaiwave-search-feed', logger, 'search feed', session);

  return {
    async close() {
      feed.stop();
      stopSession?.();
      await feed.done;
    },
  };
}
