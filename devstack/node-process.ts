import { startReferenceServer, type ManagedProcess } from './process.js';
import { freePort } from './ports.js';

// Launching any reference ScaiInfer node as a process of its own, on free
// ports, registering with the platform, and ready to serve when this returns.

export interface NodeProcessOptions {
  nodeId: string;
  registryUrl: string;
  registryToken: string;
  logDir: string;
  heartbeatMs?: number;
  echo?: boolean;
}

export interface NodeProcess {
  grpcAddress: string;
  adminUrl: string;
  process: ManagedProcess;
}

/** `entry` is the node's main.ts; `env` carries its engine-specific SCAIINFER_* settings. */
export async function startNodeProcess(entry: string, opts: NodeProcessOptions, env: Record<string, string> = {}): Promise<NodeProcess> {
  const grpcPort = await freePort();
  const adminPort = await freePort();
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const proc = await startReferenceServer(opts.nodeId, entry, {
    what: `node ${opts.nodeId}`,
    healthUrl: `${adminUrl}/health`,
    logDir: opts.logDir,
    echo: opts.echo,
    env: {
      ...process.env,
      SCAIINFER_NODE_ID: opts.nodeId,
      SCAIINFER_GRPC_PORT: String(grpcPort),
      SCAIINFER_ADMIN_PORT: String(adminPort),
      SCAIINFER_REGISTRY_URL: opts.registryUrl,
      SCAIINFER_REGISTRY_TOKEN: opts.registryToken,
      ...(opts.heartbeatMs ? { SCAIINFER_HEARTBEAT_MS: String(opts.heartbeatMs) } : {}),
      ...env,
    },
  });
  return { grpcAddress: `127.0.0.1:${grpcPort}`, adminUrl, process: proc };
}
