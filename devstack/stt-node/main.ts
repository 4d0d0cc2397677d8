import { createLogger } from '../../lib/logger.js';
import { ENGINE_KINDS, type EngineKind } from '../stt/engine.js';
import { createSttNode } from './server.js';

// Entry point: `npx tsx devstack/stt-node/main.ts`. Launchers wait for the admin
// /health (or the "listening" line), both of which exist only once both ports are bound.

function fail(message: string): never {
  process.stderr.write(`stt-node: ${message}\n`);
  process.exit(78);
}

function wholeNumber(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) fail(`${name} is ${JSON.stringify(raw)}: must be a whole number from ${min} to ${max}`);
  return n;
}

const env = process.env;
const engine = env.SCAIINFER_ENGINE || 'pocketsphinx';
if (!(ENGINE_KINDS as readonly string[]).includes(engine)) fail(`SCAIINFER_ENGINE must be one of ${ENGINE_KINDS.join(', ')}`);
const nodeId = env.SCAIINFER_NODE_ID || 'stt-node-1';
const registryUrl = env.SCAIINFER_REGISTRY_URL || undefined;
if (registryUrl && !URL.canParse(registryUrl)) fail('SCAIINFER_REGISTRY_URL must be a URL');
if (registryUrl && !env.SCAIINFER_REGISTRY_TOKEN) fail('SCAIINFER_REGISTRY_TOKEN is required with SCAIINFER_REGISTRY_URL');

const log = createLogger(`stt-node-${nodeId}`);
if (!registryUrl) log.warn('SCAIINFER_REGISTRY_URL is not set: serving without registering');

const node = await createSttNode({
  nodeId,
  engine: engine as EngineKind,
  grpcPort: wholeNumber('SCAIINFER_GRPC_PORT', 50051, 0, 65535),
  adminPort: wholeNumber('SCAIINFER_ADMIN_PORT', 50052, 0, 65535),
  host: env.SCAIINFER_HOST || '127.0.0.1',
  registry: registryUrl ? { url: registryUrl, token: env.SCAIINFER_REGISTRY_TOKEN! } : undefined,
  heartbeatMs: wholeNumber('SCAIINFER_HEARTBEAT_MS', 2000, 100, 3_600_000),
  capacity: wholeNumber('SCAIINFER_CAPACITY', 8, 1, 10_000),
  maxAudioBytes: wholeNumber('SCAIINFER_MAX_AUDIO_BYTES', 100 * 1024 * 1024, 1, 2 ** 32),
  logger: log,
}).catch((err: unknown) => fail(`cannot start: ${err instanceof Error ? err.message : String(err)}`));
process.stdout.write(`stt-node ${nodeId} listening grpc=${node.grpcAddress} admin=${node.adminUrl}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  node.close().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`stt-node: close failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
