import { createLogger } from '../../lib/infra/logger.js';
import { entryPoint, nodeSettings } from '../entry.js';
import { ENGINE_KINDS } from '../stt/engine.js';
import type { EngineKind } from '../stt/transcript.js';
import { createSttNode } from './server.js';

// Entry point: `npx tsx devstack/stt-node/main.ts`. Launchers wait for the admin
// /health (or the "listening" line), both of which exist only once both ports are bound.

const entry = entryPoint('stt-node');
const { fail, wholeNumber } = entry;
const settings = nodeSettings(entry, { nodeId: 'stt-node-1', grpcPort: 50051, adminPort: 50052 });
const engine = process.env.SCAIINFER_ENGINE || 'pocketsphinx';
if (!(ENGINE_KINDS as readonly string[]).includes(engine)) fail(`SCAIINFER_ENGINE must be one of ${ENGINE_KINDS.join(', ')}`);

const log = createLogger(`stt-node-${settings.nodeId}`);
if (!settings.registry) log.warn('SCAIINFER_REGISTRY_URL is not set: serving without registering');

const node = await createSttNode({
  ...settings,
  engine: engine as EngineKind,
  capacity: wholeNumber('SCAIINFER_CAPACITY', 8, 1, 10_000),
  maxAudioBytes: wholeNumber('SCAIINFER_MAX_AUDIO_BYTES', 100 * 1024 * 1024, 1, 2 ** 32),
  logger: log,
}).catch((err: unknown) => fail(`cannot start: ${err instanceof Error ? err.message : String(err)}`));
process.stdout.write(`stt-node ${settings.nodeId} listening grpc=${node.grpcAddress} admin=${node.adminUrl}\n`);

entry.stopOnSignal(() => node.close());
