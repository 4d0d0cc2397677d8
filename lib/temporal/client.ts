import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config.js';

export type { Client };

/**
 * Lazy: the API must start (and report Temporal as down on /health) even when
 * the cluster is unreachable; the connection is made on first use and retried.
 */
export function createTemporalClient(config: Config): { client: Client; connection: Connection } {
  const connection = Connection.lazy({ address: config.env.SCAIWAVE_TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: config.env.SCAIWAVE_TEMPORAL_NAMESPACE });
  return { client, connection };
}
