import { fileURLToPath } from 'node:url';
import { startReferenceServer, type ManagedProcess } from '../process.js';

const entry = fileURLToPath(new URL('./main.ts', import.meta.url));

/** The reference ScaiKey runs as a separate process, like the real one. */
export async function startIdpProcess(opts: {
  port: number;
  logDir: string;
  dataDir?: string;
  echo?: boolean;
}): Promise<{ url: string; process: ManagedProcess }> {
  const url = `http://127.0.0.1:${opts.port}`;
  const proc = await startReferenceServer('scaikey-idp', entry, {
    what: 'reference IdP',
    healthUrl: `${url}/health`,
    logDir: opts.logDir,
    echo: opts.echo,
    env: {
      ...process.env,
      SCAIKEY_IDP_PORT: String(opts.port),
      SCAIKEY_IDP_ISSUER: url,
      ...(opts.dataDir ? { SCAIKEY_IDP_DATA_DIR: opts.dataDir } : {}),
    },
  });
  return { url, process: proc };
}
