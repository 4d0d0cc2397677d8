import { loadConfigOrExit } from '../../lib/config.js';
import { createLogger } from '../../lib/infra/logger.js';
import { startApi } from '../../api/server.js';

// A real API process that SIGKILLs itself around its outbox relay's first
// publish: CRASH_AT=publish:before dies with the event committed and not yet
// on JetStream; CRASH_AT=publish:after dies once JetStream has stored it but
// before the outbox row says so.
// `node --import tsx test/support/crash-api.ts`.

const when = process.env.CRASH_AT;
if (when !== 'publish:before' && when !== 'publish:after') {
  process.stderr.write('crash-api: set CRASH_AT=publish:before|publish:after\n');
  process.exit(2);
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('SIGKILL did not end the process');
}

const config = loadConfigOrExit();
await startApi(config, {
  logger: createLogger('crash-api', config.env.SCAIWAVE_LOG_LEVEL),
  wrapPublish: (publish) => async (subject, msgId, payload) => {
    if (when === 'publish:before') die();
    await publish(subject, msgId, payload);
    return die();
  },
});
