import { fileURLToPath } from 'node:url';
import { startReferenceServer, type ManagedProcess } from '../process.js';
import { freePort } from '../ports.js';
import type { EngineKind } from '../stt/transcript.js';

const entry = fileURLToPath(new URL('./main.ts', import.meta.url));

export interface SttRelayProcessOptions {
  apiKeys: string[];
  engine: EngineKind;
  logDir: string;
  maxBytes?: number;
  /** Tells apart the log files of several relays in one log directory. */
  name?: string;
  echo?: boolean;
}

/** The reference managed STT relay as its own process, on free ports, ready to serve. */
export async function startSttRelayProcess(
  opts: SttRelayProcessOptions,
): Promise<{ url: string; adminUrl: string; process: ManagedProcess }> {
  const port = await freePort();
  const adminPort = await freePort();
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const name = opts.name ?? 'stt-relay';
  const proc = await startReferenceServer(name, entry, {
    what: 'STT relay',
    healthUrl: `${adminUrl}/health`,
    logDir: opts.logDir,
    echo: opts.echo,
    env: {
      ...process.env,
      STT_RELAY_PORT: String(port),
      STT_RELAY_ADMIN_PORT: String(adminPort),
      STT_RELAY_API_KEYS: opts.apiKeys.join(','),
      STT_RELAY_ENGINE: opts.engine,
      ...(opts.maxBytes ? { STT_RELAY_MAX_BYTES: String(opts.maxBytes) } : {}),
    },
  });
  return { url: `http://127.0.0.1:${port}`, adminUrl, process: proc };
}
