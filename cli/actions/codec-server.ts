import { startCodecServer } from '../../codec-server/server.js';
import { loadConfigOrExit } from '../../lib/config.js';
import { createLogger } from '../../lib/infra/logger.js';
import { print } from '../support.js';

/** Serves until SIGINT or SIGTERM, then closes what it opened. */
export async function codecServerCommand(opts: { port?: number }): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('scaiwave-codec-server', config.env.SCAIWAVE_LOG_LEVEL);
  const server = await startCodecServer(config, logger, { port: opts.port });
  print(`codec server listening on ${server.url}: sign in there, then set it as the Temporal UI's Remote Codec Endpoint (with "Include cross-origin credentials")`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}
