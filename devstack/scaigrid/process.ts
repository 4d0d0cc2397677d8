import { fileURLToPath } from 'node:url';
import { freePort } from '../ports.js';
import type { EngineKind } from './embedder.js';
import { startReferenceServer, type ManagedProcess } from '../process.js';

const entry = fileURLToPath(new URL('./main.ts', import.meta.url));

export interface ScaiGridProcessOptions {
  /** `sgk_` keys it accepts as Bearer tokens. */
  apiKeys: string[];
  logDir: string;
  /** The embedding model name it serves (default scailar-4, as SCAIWAVE_AI_EMBEDDING_MODEL). */
  model?: string;
  /** The real model (default), or the instant word-hash stand-in for benches of the pipeline around it. */
  engine?: EngineKind;
  /** Most inputs in one embeddings request; more is a 400. */
  maxBatch?: number;
  /** ScaiKey's issuer URL and the audience of its tokens: set, users' own ScaiKey tokens are taken too. */
  scaikey?: { url: string; audience: string };
  /** Fixed ports (npm start); free ones otherwise. */
  port?: number;
  adminPort?: number;
  echo?: boolean;
}

export interface ScaiGridProcess {
  /** ScaiGrid's root: the OpenAI-compatible router is under /oai/v1. */
  url: string;
  adminUrl: string;
  process: ManagedProcess;
}

/** The reference ScaiGrid as its own process, its engine loaded, ready to serve. */
export async function startScaiGridProcess(opts: ScaiGridProcessOptions): Promise<ScaiGridProcess> {
  const port = opts.port ?? (await freePort());
  const adminPort = opts.adminPort ?? (await freePort());
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const proc = await startReferenceServer('scaigrid', entry, {
    what: 'reference ScaiGrid',
    healthUrl: `${adminUrl}/health`,
    logDir: opts.logDir,
    echo: opts.echo,
    env: {
      ...process.env,
      SCAIGRID_PORT: String(port),
      SCAIGRID_ADMIN_PORT: String(adminPort),
      SCAIGRID_API_KEYS: opts.apiKeys.join(','),
      ...(opts.model ? { SCAIGRID_MODEL: opts.model } : {}),
      ...(opts.engine ? { SCAIGRID_ENGINE: opts.engine } : {}),
      ...(opts.maxBatch ? { SCAIGRID_MAX_BATCH: String(opts.maxBatch) } : {}),
      ...(opts.scaikey ? { SCAIGRID_SCAIKEY_URL: opts.scaikey.url, SCAIGRID_SCAIKEY_AUDIENCE: opts.scaikey.audience } : {}),
    },
  });
  return { url: `http://127.0.0.1:${port}`, adminUrl, process: proc };
}
