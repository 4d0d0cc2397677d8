import { createMetricsRegistry } from '../../lib/infra/metrics.js';
import { loadConfigOrExit } from '../../lib/config.js';
import { createLogger } from '../../lib/infra/logger.js';
import { createWorker } from '../../worker/create.js';
import { startWorkerHttp } from '../../worker/http.js';

// A real worker process that SIGKILLs itself at one point of one activity:
// CRASH_AT=<activityType>:before dies as the activity starts (nothing done),
// CRASH_AT=<activityType>:after dies once it has done its work but before
// Temporal hears of it, the window where a retry repeats finished work.
// Local activities count too: the SDK runs them through the same activity
// interceptors, and a kill there leaves the workflow task to time out and be
// replayed, running the step again, on the next worker.
// `node --import tsx test/support/crash-worker.ts`, via startWorkerProcess.

const [crashType, crashWhen] = (process.env.CRASH_AT ?? '').split(':');
if (!crashType || (crashWhen !== 'before' && crashWhen !== 'after')) {
  process.stderr.write('crash-worker: set CRASH_AT=<activityType>:before|after\n');
  process.exit(2);
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
            if (ctx.info.activityType !== crashType) return next(input);
            if (crashWhen === 'after') await next(input);
            return die();
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
await worker.run();
