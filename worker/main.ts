import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import { SdkComponent } from '@temporalio/common';
import { loadConfigOrExit } from '../lib/config.js';
import { createLogger } from '../lib/infra/logger.js';
import { createMetricsRegistry } from '../lib/infra/metrics.js';
import { startSearchFeed } from '../domains/search/event-consumer.js';
import { startWebhookFeed } from '../domains/webhooks/event-consumer.js';
import { createDb } from '../lib/infra/db.js';
import { createTemporalClient } from '../lib/temporal/client.js';
import { createWorker } from './create.js';
import { startWorkerHttp } from './http.js';

const config = loadConfigOrExit();
const logger = createLogger('scaiwave-worker', config.env.SCAIWAVE_LOG_LEVEL);
// The SDK is chatty at INFO (webpack output, state changes): below WARN only our
// workflows' own lines (the lifecycle log) pass, unless debugging.
const debugging = config.env.SCAIWAVE_LOG_LEVEL === 'trace' || config.env.SCAIWAVE_LOG_LEVEL === 'debug';
const sdkLevel: LogLevel = config.env.SCAIWAVE_LOG_LEVEL === 'trace' ? 'TRACE' : debugging ? 'DEBUG' : 'INFO';
const passes = (entry: LogEntry): boolean =>
  debugging || entry.level === 'WARN' || entry.level === 'ERROR' || entry.meta?.sdkComponent === SdkComponent.workflow;

// Runtime.install must come before any connection. Its default shutdown signals
// (SIGINT, SIGTERM, ...) make worker.run() finish in-flight tasks and return.
Runtime.install({
  logger: new DefaultLogger(sdkLevel, (entry) => {
    if (passes(entry)) logger[entry.level.toLowerCase() as Lowercase<LogLevel>](entry.meta ?? {}, entry.message);
  }),
  telemetryOptions: {
    metrics: { prometheus: { bindAddress: config.env.SCAIWAVE_WORKER_SDK_METRICS_ADDRESS } },
  },
});

const registry = createMetricsRegistry('scaiwave-worker');
const { worker, identity, dispose } = await createWorker(config, logger, { registry });
// Room events reach search indexing through the workers; without ScaiGrid there is nothing to embed with.
const temporal = createTemporalClient(config);
const feed = config.env.SCAIWAVE_SCAIGRID_URL ? startSearchFeed(config, { temporal: temporal.client, config }, logger) : undefined;
if (!feed) logger.warn('search indexing off: SCAIWAVE_SCAIGRID_URL is not set');
// Lifecycle events become webhook deliveries through the workers too.
const webhookDb = config.env.SCAIWAVE_WEBHOOKS_FEED ? createDb(config.db) : undefined;
const webhooks = webhookDb ? startWebhookFeed(config, { temporal: temporal.client, config }, webhookDb, logger) : undefined;
const server = await startWorkerHttp({
  host: config.env.SCAIWAVE_HOST,
  port: config.env.SCAIWAVE_WORKER_PORT,
  worker,
  registry,
  sdkMetricsAddress: config.env.SCAIWAVE_WORKER_SDK_METRICS_ADDRESS,
  logger,
});
logger.info({ identity, taskQueue: config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE }, 'scaiwave-worker polling');

try {
  await worker.run();
} finally {
  server.close();
  await feed?.close();
  await webhooks?.close();
  await webhookDb?.$disconnect();
  await temporal.close();
  await dispose();
  logger.info('scaiwave-worker stopped');
}
