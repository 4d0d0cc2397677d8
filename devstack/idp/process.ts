import { fileURLToPath } from 'node:url';
import { startProcess, tail, type ManagedProcess } from '../process.js';
import { waitUntil } from '../ports.js';

const entry = fileURLToPath(new URL('./main.ts', import.meta.url));

/** The reference ScaiKey runs as a separate process, like the real one. */
export async function startIdpProcess(opts: {
  port: number;
  logDir: string;
  dataDir?: string;
  echo?: boolean;
}): Promise<{ url: string; process: ManagedProcess }> {
  const url = `http://127.0.0.1:${opts.port}`;
  const proc = startProcess('scaikey-idp', process.execPath, ['--import', 'tsx', entry], {
    logDir: opts.logDir,
    echo: opts.echo,
    env: {
      ...process.env,
      SCAIKEY_IDP_PORT: String(opts.port),
      SCAIKEY_IDP_ISSUER: url,
      ...(opts.dataDir ? { SCAIKEY_IDP_DATA_DIR: opts.dataDir } : {}),
    },
  });
  await Promise.race([
    waitUntil(`reference IdP at ${url}`, async () => (await fetch(`${url}/health`)).ok, 60_000),
    proc.exited.then((code) => {
      throw new Error(`reference IdP exited with ${code}:\n${tail(proc.logFile)}`);
    }),
  ]);
  return { url, process: proc };
}
