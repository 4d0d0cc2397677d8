import { startCodecServer } from '../../codec-server/server.js';
import { createPayloadSealing } from '../../lib/codec/data-converter.js';
import { DEPLOYMENT_SCOPE, type KeyScope } from '../../lib/codec/key-scope.js';
import { loadConfigOrExit } from '../../lib/config.js';
import { createLogger } from '../../lib/infra/logger.js';
import { withDb } from '../connections.js';
import { CliError, EXIT, print } from '../support.js';
import { requireTenant } from './admin/shared.js';

// What `scaiwave codec-server` and `scaiwave codec rotate` do (arguments and help: commands/codec.ts).

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

export async function rotateCommand(opts: { tenant?: string; deployment?: boolean }): Promise<void> {
  if (!opts.tenant && !opts.deployment) throw new CliError(EXIT.usage, 'say whose key: --tenant SLUG or --deployment');
  await withDb(async ({ db, config }) => {
    const scope: KeyScope = opts.tenant ? { scope: 'tenant', id: (await requireTenant(db, opts.tenant)).id } : DEPLOYMENT_SCOPE;
    const sealing = createPayloadSealing(config);
    try {
      const keyId = await sealing.keys.rotate(scope);
      print(`new payload key ${keyId} for ${opts.tenant ? `tenant ${opts.tenant}` : 'the deployment'}; older payloads keep theirs`);
    } finally {
      await sealing.close();
    }
  });
}
