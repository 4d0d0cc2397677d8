import { createJwtVerifier } from '../../lib/auth/jwt-verifier.js';
import { createLogger } from '../../lib/infra/logger.js';
import { entryPoint } from '../entry.js';
import { DEFAULT_MODEL_DIR, ENGINE_KINDS, loadEmbedder, MODEL_DIMENSIONS, type EngineKind } from './embedder.js';
import { instantEmbedder } from './instant-embedder.js';
import { createScaiGrid, DEFAULT_MAX_BATCH } from './server.js';

// Entry point: `npx tsx devstack/scaigrid/main.ts`. Launchers wait for the admin
// /health (or the "listening" line), which answer only once the model is loaded.

const { fail, wholeNumber, stopOnSignal } = entryPoint('scaigrid');

const env = process.env;
const apiKeys = (env.SCAIGRID_API_KEYS || 'sgk_dev_scaigrid_key')
  .split(',')
  .map((k) => k.trim())
  .filter(Boolean);
if (apiKeys.length === 0) fail('SCAIGRID_API_KEYS names no key');
if (apiKeys.some((k) => !k.startsWith('sgk_'))) fail('SCAIGRID_API_KEYS: ScaiGrid API keys start with sgk_');

const engine = env.SCAIGRID_ENGINE || 'minilm';
if (!(ENGINE_KINDS as readonly string[]).includes(engine)) fail(`SCAIGRID_ENGINE must be one of ${ENGINE_KINDS.join(', ')}`);

const loadStart = performance.now();
const embedder =
  (engine as EngineKind) === 'instant'
    ? instantEmbedder(MODEL_DIMENSIONS)
    : await loadEmbedder(env.SCAIGRID_MODEL_DIR || DEFAULT_MODEL_DIR).catch((err: unknown) =>
        fail(`cannot load the embedding model: ${err instanceof Error ? err.message : String(err)}`),
      );
const loadMs = Math.round(performance.now() - loadStart);
// ScaiKey's issuer and the audience its tokens carry for this platform: set, users' own tokens are taken too.
const scaikey = env.SCAIGRID_SCAIKEY_URL
  ? createJwtVerifier({ issuerUrl: env.SCAIGRID_SCAIKEY_URL, audience: env.SCAIGRID_SCAIKEY_AUDIENCE || 'scaiwave', cacheSeconds: 300 })
  : undefined;
const grid = await createScaiGrid({
  port: wholeNumber('SCAIGRID_PORT', 8097, 0, 65535),
  adminPort: wholeNumber('SCAIGRID_ADMIN_PORT', 8098, 0, 65535),
  host: env.SCAIGRID_HOST || '127.0.0.1',
  apiKeys,
  model: env.SCAIGRID_MODEL || 'scailar-4',
  maxBatch: wholeNumber('SCAIGRID_MAX_BATCH', DEFAULT_MAX_BATCH, 1, 100_000),
  embedder,
  verifyJwt: scaikey ? (token) => scaikey.verify(token) : undefined,
  logger: createLogger('scaigrid'),
}).catch((err: unknown) => fail(`cannot start: ${err instanceof Error ? err.message : String(err)}`));
process.stdout.write(`scaigrid listening url=${grid.url} admin=${grid.adminUrl} engine=${engine} model_load_ms=${loadMs}\n`);

stopOnSignal(() => grid.close());
