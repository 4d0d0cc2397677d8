import { createLogger } from '../../lib/infra/logger.js';
import { entryPoint, nodeSettings } from '../entry.js';
import { createDiarizeNode } from './server.js';
import { DIARIZE_ENGINE_KINDS, type DiarizeEngineKind } from './speaker-embedder.js';

// Entry point: `npx tsx devstack/diarize-node/main.ts`. Launchers wait for the
// admin /health, which exists only once both ports are bound.

const entry = entryPoint('diarize-node');
const settings = nodeSettings(entry, { nodeId: 'diarize-node-1', grpcPort: 50061, adminPort: 50062 });
const engine = process.env.SCAIINFER_DIARIZE_ENGINE || 'mfcc';
if (!(DIARIZE_ENGINE_KINDS as readonly string[]).includes(engine)) entry.fail(`SCAIINFER_DIARIZE_ENGINE must be one of ${DIARIZE_ENGINE_KINDS.join(', ')}`);
const log = createLogger(`diarize-node-${settings.nodeId}`);
if (!settings.registry) log.warn('SCAIINFER_REGISTRY_URL is not set: serving without registering');

const node = await createDiarizeNode({
  ...settings,
  engine: engine as DiarizeEngineKind,
  maxAudioBytes: entry.wholeNumber('SCAIINFER_MAX_AUDIO_BYTES', 50 * 1024 * 1024, 1, 2 ** 32),
  logger: log,
}).catch((err: unknown) => entry.fail(`cannot start: ${err instanceof Error ? err.message : String(err)}`));
process.stdout.write(`diarize-node ${settings.nodeId} listening grpc=${node.grpcAddress} admin=${node.adminUrl}\n`);

entry.stopOnSignal(() => node.close());
