import { fileURLToPath } from 'node:url';
import { startProcess, tail, type ManagedProcess } from '../process.js';
import { freePort, waitUntil } from '../ports.js';
import type { EngineKind } from '../stt/engine.js';

const entry = fileURLToPath(new URL('./main.ts', import.meta.url));

export interface SttNodeProcessOptions {
  nodeId: string;
  engine: EngineKind;
  registryUrl: string;
  registryToken: string;
  logDir: string;
  heartbeatMs?: number;
  capacity?: number;
  echo?: boolean;
}

/** A reference ScaiInfer STT node as its own process, on free ports, ready to serve. */
export async function startSttNodeProcess(
  opts: SttNodeProcessOptions,
): Promise<{ grpcAddress: string; adminUrl: string; process: ManagedProcess }> {
  const grpcPort = await freePort();
  const adminPort = await freePort();
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const proc = startProcess(`stt-node-${opts.nodeId}`, process.execPath, ['--import', 'tsx', entry], {
    logDir: opts.logDir,
    echo: opts.echo,
    env: {
      ...process.env,
      SCAIINFER_NODE_ID: opts.nodeId,
      SCAIINFER_ENGINE: opts.engine,
      SCAIINFER_GRPC_PORT: String(grpcPort),
      SCAIINFER_ADMIN_PORT: String(adminPort),
      SCAIINFER_REGISTRY_URL: opts.registryUrl,
      SCAIINFER_REGISTRY_TOKEN: opts.registryToken,
      ...(opts.heartbeatMs ? { SCAIINFER_HEARTBEAT_MS: String(opts.heartbeatMs) } : {}),
      ...(opts.capacity ? { SCAIINFER_CAPACITY: String(opts.capacity) } : {}),
    },
  });
  await Promise.race([
    waitUntil(`STT node ${opts.nodeId} at ${adminUrl}`, async () => (await fetch(`${adminUrl}/health`)).ok, 60_000),
    proc.exited.then((code) => {
      throw new Error(`STT node ${opts.nodeId} exited with ${code}:\n${tail(proc.logFile)}`);
    }),
  ]);
  return { grpcAddress: `127.0.0.1:${grpcPort}`, adminUrl, process: proc };
}
