import { connect, type NatsConnection } from 'nats';
import type { Config } from '../config.js';

export type { NatsConnection };

export function connectNats(config: Config, name: string): Promise<NatsConnection> {
  return connect({
    servers: config.env.SCAIWAVE_NATS_URL.replace(/^nats:\/\//, ''),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    // Each request (every JetStream publish) otherwise makes an Error up front for the stack trace of a
    // timeout that rarely comes: a visible cost in the API's profile at the capacity rule (docs/performance-notes.md, "wave.ts").
    noAsyncTraces: true,
  });
}

/** Subjects and stream names carry SCAIWAVE_NATS_PREFIX so test runs and deployments never share a stream. */
export function subject(config: Config, s: string): string {
  const p = config.env.SCAIWAVE_NATS_PREFIX;
  return p ? `${p}.${s}` : s;
}

export function streamName(config: Config, name: string): string {
  const p = config.env.SCAIWAVE_NATS_PREFIX;
  return p ? `${p}_${name}` : name;
}
