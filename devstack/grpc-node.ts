import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '../lib/infra/logger.js';
import { startAdminServer } from './stt/admin.js';
import type { FaultMode, FaultSwitch } from './stt/faults.js';
import { createRegistration, type Registration } from './stt-node/registration.js';

// The part every reference ScaiInfer node shares whatever engine it serves: a
// gRPC listener, heartbeats into the platform's node registry like a real node,
// and an admin port whose fault switch makes it fail, stall or vanish (and come
// back on the same port) while it runs.

export interface GrpcNodeOptions {
  nodeId: string;
  engineKinds: string[];
  service: ServiceDefinition;
  handlers: UntypedServiceImplementation;
  faults: FaultSwitch;
  /** Counters for the admin GET /stats. */
  stats: () => Record<string, number | string>;
  /** 0 picks a free port; going offline and back keeps the port first bound. */
  grpcPort: number;
  adminPort: number;
  host: string;
  registry: { url: string; token: string } | undefined;
  heartbeatMs: number;
  capacity: number;
  logger: Logger;
}

export interface GrpcNode {
  grpcAddress: string;
  adminUrl: string;
  close(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 2000;

export async function serveGrpcNode(opts: GrpcNodeOptions): Promise<GrpcNode> {
  let grpcPort = opts.grpcPort;
  let grpc: Server | undefined;
  let registration: Registration | undefined;

  const goOnline = async (): Promise<void> => {
    if (grpc) return;
    const server = new Server();
    server.addService(opts.service, opts.handlers);
    grpcPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${opts.host}:${grpcPort}`, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    grpc = server;
    registration?.start();
  };

  // A crash, as the platform sees one: no goodbye to the registry, connections refused.
  const goOffline = (): void => {
    registration?.stop();
    grpc?.forceShutdown();
    grpc = undefined;
  };

  await goOnline();
  const grpcAddress = `${opts.host}:${grpcPort}`;
  if (opts.registry) {
    registration = createRegistration({
      registryUrl: opts.registry.url,
      token: opts.registry.token,
      nodeId: opts.nodeId,
      address: grpcAddress,
      capacity: opts.capacity,
      engineKinds: opts.engineKinds,
      intervalMs: opts.heartbeatMs,
      logger: opts.logger,
    });
    registration.start();
  }

  const admin = await startAdminServer({
    port: opts.adminPort,
    host: opts.host,
    faults: opts.faults,
    stats: () => ({ node_id: opts.nodeId, capacity: opts.capacity, grpc_online: grpc ? 1 : 0, ...opts.stats() }),
    applyMode: async (mode: FaultMode) => (mode === 'offline' ? goOffline() : goOnline()),
  });

  return {
    grpcAddress,
    adminUrl: admin.url,
    async close() {
      await registration?.deregister();
      const server = grpc;
      grpc = undefined;
      if (server) {
        // Stalled calls would hold a graceful shutdown open forever.
        const force = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
        await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
        clearTimeout(force);
      }
      await admin.close();
    },
  };
}
