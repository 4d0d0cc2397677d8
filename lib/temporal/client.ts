import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config.js';
import { createPayloadSealing } from '../codec/data-converter.js';

export type { Client };

export interface TemporalClient {
  client: Client;
  connection: Connection;
  /** Closes the connection and the payload codec's key pool. */
  close(): Promise<void>;
}

/**
 * Lazy: the API must start (and report Temporal as down on /health) even when
 * the cluster is unreachable; the connection is made on first use and retried.
 * Every payload goes through the deployment's codec (lib/codec/).
 */
export function createTemporalClient(config: Config): TemporalClient {
  const sealing = createPayloadSealing(config);
  const connection = Connection.lazy({ address: config.env.SCAIWAVE_TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: config.env.SCAIWAVE_TEMPORAL_NAMESPACE, dataConverter: sealing.dataConverter });
  return {
    client,
    connection,
    async close() {
      await connection.close();
      await sealing.close();
    },
  };
}

/**
 * For health probes: a short-lived connection of its own, without the SDK's retry
 * interceptor, closed when the attempt ends. Probing through the shared connection
 * left a retry loop (up to 10 attempts, ~20 s) behind every probe while Temporal was
 * down, and a retry firing after that connection closed threw an uncaught
 * "Channel has been shut down" during shutdown.
 */
export async function probeTemporal(config: Config, timeoutMs: number): Promise<void> {
  const probe = Connection.lazy({
    address: config.env.SCAIWAVE_TEMPORAL_ADDRESS,
    interceptors: [],
    connectTimeout: timeoutMs,
  });
  try {
    await probe.ensureConnected();
  } finally {
    await probe.close();
  }
}
