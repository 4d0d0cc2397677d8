import { loadConfigOrExit } from '../lib/config.js';
import { createLogger } from '../lib/infra/logger.js';
import { startApi } from './server.js';

const config = loadConfigOrExit();
const logger = createLogger('scaiwave-api', config.env.SCAIWAVE_LOG_LEVEL);
const api = await startApi(config, { logger });
logger.info({ url: api.url }, 'scaiwave-api listening');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    void api.close().then(() => process.exit(0));
  });
}
