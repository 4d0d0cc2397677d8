// What the reference servers' entry points share: settings read from the
// environment with a message naming the bad one (exit 78, like the platform's
// own processes), and a clean stop on SIGTERM or SIGINT.

export interface EntryPoint {
  fail(message: string): never;
  wholeNumber(name: string, fallback: number, min: number, max: number): number;
  /** Runs close() once on the first SIGTERM or SIGINT, then exits. */
  stopOnSignal(close: () => Promise<void>): void;
}

export function entryPoint(program: string): EntryPoint {
  const fail = (message: string): never => {
    process.stderr.write(`${program}: ${message}\n`);
    process.exit(78);
  };
  return {
    fail,
    wholeNumber(name, fallback, min, max) {
      const raw = process.env[name];
      if (raw === undefined || raw === '') return fallback;
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < min || n > max) fail(`${name} is ${JSON.stringify(raw)}: must be a whole number from ${min} to ${max}`);
      return n;
    },
    stopOnSignal(close) {
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        close().then(
          () => process.exit(0),
          (err: unknown) => {
            process.stderr.write(`${program}: close failed: ${String(err)}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
  };
}

export interface NodeSettings {
  nodeId: string;
  host: string;
  grpcPort: number;
  adminPort: number;
  /** Without a registry a node serves but never registers. */
  registry: { url: string; token: string } | undefined;
  heartbeatMs: number;
}

/** The SCAIINFER_* settings every reference ScaiInfer node reads, whatever its engine. */
export function nodeSettings(e: EntryPoint, defaults: { nodeId: string; grpcPort: number; adminPort: number }): NodeSettings {
  const env = process.env;
  const registryUrl = env.SCAIINFER_REGISTRY_URL || undefined;
  if (registryUrl && !URL.canParse(registryUrl)) e.fail('SCAIINFER_REGISTRY_URL must be a URL');
  if (registryUrl && !env.SCAIINFER_REGISTRY_TOKEN) e.fail('SCAIINFER_REGISTRY_TOKEN is required with SCAIINFER_REGISTRY_URL');
  return {
    nodeId: env.SCAIINFER_NODE_ID || defaults.nodeId,
    host: env.SCAIINFER_HOST || '127.0.0.1',
    grpcPort: e.wholeNumber('SCAIINFER_GRPC_PORT', defaults.grpcPort, 0, 65535),
    adminPort: e.wholeNumber('SCAIINFER_ADMIN_PORT', defaults.adminPort, 0, 65535),
    registry: registryUrl ? { url: registryUrl, token: env.SCAIINFER_REGISTRY_TOKEN! } : undefined,
    heartbeatMs: e.wholeNumber('SCAIINFER_HEARTBEAT_MS', 2000, 100, 3_600_000),
  };
}
