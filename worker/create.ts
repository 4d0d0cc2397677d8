import os from 'node:os';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/infra/logger.js';
import { createSqlPool } from '../lib/infra/db.js';
import { createServices } from '../lib/services.js';
import { createPayloadSealing } from '../lib/codec/data-converter.js';
import { SttBackends } from '../domains/scaiecho/backends.js';
import { EVENT_STREAMS } from '../domains/streams.js';
import { dependencyUpGauge, searchIndexLag } from '../lib/infra/metrics.js';
import { workerDependencyChecks } from './dependency-checks.js';
import { createSearchServices } from '../lib/search-index/search-services.js';
import type { Registry } from 'prom-client';
import { workflowInterceptorModules, workflowsPath } from './bundle.js';

export interface ScaiwaveWorker {
  worker: Worker;
  identity: string;
  /** Releases the stores and the connection after worker.run() has returned. */
  dispose(): Promise<void>;
}

/**
 * Production loads the bundle built ahead of time (SCAIWAVE_WORKFLOW_BUNDLE);
 * dev and tests bundle the sources at start.
 */
export async function createWorker(
  config: Config,
  logger: Logger,
  opts: { taskQueue?: string; interceptors?: WorkerOptions['interceptors']; registry?: Registry } = {},
): Promise<ScaiwaveWorker> {
  const identity = `scaiwave-worker@${os.hostname()}:${process.pid}`;
  const connection = await NativeConnection.connect({ address: config.env.SCAIWAVE_TEMPORAL_ADDRESS });
  const services = createServices(config, logger, 'scaiwave-worker', EVENT_STREAMS);
  const backends = new SttBackends(config, services.registry);
  // Few connections: its readers page through big tables one query at a time, and a job step reads its row in one.
  const sql = createSqlPool(config.db, Math.min(4, config.db.poolSize));
  const sealing = createPayloadSealing(config);
  const search = createSearchServices(config.env, logger, opts.registry ? searchIndexLag(opts.registry) : undefined);
  if (opts.registry) dependencyUpGauge(opts.registry, workerDependencyChecks(config, services.s3));
  const bundlePath = config.env.SCAIWAVE_WORKFLOW_BUNDLE;
  const worker = await Worker.create({
    connection,
    namespace: config.env.SCAIWAVE_TEMPORAL_NAMESPACE,
    taskQueue: opts.taskQueue ?? config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
    identity,
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath }),
    dataConverter: sealing.dataConverter,
    activities: createActivities({ ...services, backends, sql, config, logger, identity, search }),
    shutdownGraceTime: config.env.SCAIWAVE_SHUTDOWN_GRACE_MS,
    // Heartbeats reach Temporal at most this often (otherwise 0.8 × the heartbeat timeout, 16 s for
    // a dispatch), and a running activity hears of its cancellation only in a heartbeat's reply:
    // this bounds how long a cancelled job keeps a backend's engine decoding.
    maxHeartbeatThrottleInterval: '2 seconds',
    // A prebuilt bundle already holds the workflow interceptors (the SDK warns when given
    // them again); workflowModules serves the dev path, which bundles at start.
    interceptors: { ...(bundlePath ? {} : { workflowModules: workflowInterceptorModules }), ...opts.interceptors },
  });
  return {
    worker,
    identity,
    async dispose() {
      await search.close();
      await services.close();
      backends.close();
      await sql.end();
      await sealing.close();
      await connection.close();
    },
  };
}
