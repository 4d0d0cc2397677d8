import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from 'nats';
import type { Config } from '../config.js';
import { connectNats } from '../infra/nats.js';
import type { Logger } from '../infra/logger.js';

/** The pause before a consumer that lost its connection (or its consumer) tries again. */
const RECONNECT_MS = 2000;

export interface Reconnecting {
  readonly closed: boolean;
  /** No new session after this; the caller ends the one running (its messages closed), then awaits `done`. */
  stop(): void;
  /** Settles once the last session has ended. */
  readonly done: Promise<void>;
}

/**
 * A durable consumer's session on a connection of its own, started again
 * after it ends or fails until stopped: a NATS restart or a deleted consumer
 * costs a reconnect, never the feed (the session creates what it consumes
 * from again).
 */
export function reconnecting(config: Config, connectionName: string, logger: Logger, what: string, session: (nc: NatsConnection) => Promise<void>): Reconnecting {
  let closed = false;
  const stopping = new AbortController();
  const done = (async () => {
    while (!closed) {
      let nc: NatsConnection | undefined;
      try {
        nc = await connectNats(config, connectionName);
        await session(nc);
      } catch (err) {
        if (!closed) logger.warn({ err: (err as Error).message, feed: connectionName }, `${what} interrupted; reconnecting`);
      } finally {
        await nc?.close().catch(() => undefined);
      }
      if (!closed) await sleep(RECONNECT_MS, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  })();
  return {
    get closed() {
      return closed;
    },
    stop() {
      closed = true;
      stopping.abort();
    },
    done,
  };
}
