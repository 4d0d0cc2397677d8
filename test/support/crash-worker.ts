import fs from 'node:fs';
import path from 'node:path';
import { createMetricsRegistry } from '../../lib/infra/metrics.js';
import { loadConfigOrExit } from '../../lib/config.js';
import { createLogger } from '../../lib/infra/logger.js';
import { createWorker } from '../../worker/create.js';
import { startWorkerHttp } from '../../worker/http.js';
import { startWebhookFeed } from '../../domains/webhooks/event-consumer.js';
import { createDb } from '../../lib/infra/db.js';
import { createTemporalClient } from '../../lib/temporal/client.js';

// A real worker process that SIGKILLs itself at one point of one activity:
// CRASH_AT=<activityType>:before dies as the activity starts (nothing done),
// CRASH_AT=<activityType>:after dies once it has done its work but before
// Temporal hears of it, the window where a retry repeats finished work.
// CRASH_AT may list several points, comma-separated; with CRASH_ONCE_DIR set,
// each point kills only once across the workers a test starts one after
// another (a file in that directory marks it spent), so a workflow is killed
// after every step in turn and still finishes.
// Local activities count too: the SDK runs them through the same activity
// interceptors, and a kill there leaves the workflow task to time out and be
// replayed, running the step again, on the next worker.
// `node --import tsx test/support/crash-worker.ts`, via startWorkerProcess.

const points = new Map<string, 'before' | 'after'>();
for (const point of (process.env.CRASH_AT ?? '').split(',').filter(Boolean)) {
  const [type, when] = point.split(':');
  if (!type || (when !== 'before' && when !== 'after')) {
    process.stderr.write('crash-worker: set CRASH_AT=<activityType>:before|after[,…]\n');
    process.exit(2);
  }
  points.set(type, when);
}
if (points.size === 0) {
  process.stderr.write('crash-worker: set CRASH_AT=<activityType>:before|after[,…]\n');
  process.exit(2);
}
const onceDir = process.env.CRASH_ONCE_DIR;

/** Whether this point still kills; with CRASH_ONCE_DIR, claiming it spends it. */
function claims(type: string): boolean {
  if (!onceDir) return true;
  try {
    fs.writeFileSync(path.join(onceDir, type), '', { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('SIGKILL did not end the process');
}

const config = loadConfigOrExit();
const logger = createLogger('crash-worker', config.env.SCAIWAVE_LOG_LEVEL);
const { worker } = await createWorker(config, logger, {
  interceptors: {
    activity: [
      (ctx) => ({
        inbound: {
          async execute(input, next) {
            const when = points.get(ctx.info.activityType);
            if (when === undefined) return next(input);
            if (when === 'before') return claims(ctx.info.activityType) ? die() : next(input);
            const result = await next(input);
            return claims(ctx.info.activityType) ? die() : result;
          },
        },
      }),
    ],
  },
});
await startWorkerHttp({
  host: config.env.SCAIWAVE_HOST,
  port: config.env.SCAIWAVE_WORKER_PORT,
  worker,
  registry: createMetricsRegistry('crash-worker'),
  sdkMetricsAddress: config.env.SCAIWAVE_WORKER_SDK_METRICS_ADDRESS,
  logger,
});
// As the production worker does, it turns lifecycle events into webhook deliveries.
if (config.env.SCAIWAVE_WEBHOOKS_FEED) startWebhookFeed(config, { temporal: createTemporalClient(config).client, config }, createDb(config.db), logger);
await worker.run();
