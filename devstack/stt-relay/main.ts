import { createLogger } from '../../lib/infra/logger.js';
import { entryPoint } from '../entry.js';
import { ENGINE_KINDS } from '../stt/engine.js';
import type { EngineKind } from '../stt/transcript.js';
import { createSttRelay, DEFAULT_RELAY_MAX_BYTES } from './server.js';

// Entry point: `npx tsx devstack/stt-relay/main.ts`. Launchers wait for the admin
// /health (or the "listening" line), both of which exist only once both ports are bound.

const { fail, wholeNumber, stopOnSignal } = entryPoint('stt-relay');

const env = process.env;
const engine = env.STT_RELAY_ENGINE || 'pocketsphinx';
if (!(ENGINE_KINDS as readonly string[]).includes(engine)) fail(`STT_RELAY_ENGINE must be one of ${ENGINE_KINDS.join(', ')}`);
const apiKeys = (env.STT_RELAY_API_KEYS || 'relay-dev-key')
  .split(',')
  .map((k) => k.trim())
  .filter(Boolean);
if (apiKeys.length === 0) fail('STT_RELAY_API_KEYS names no key');

const relay = await createSttRelay({
  port: wholeNumber('STT_RELAY_PORT', 8095, 0, 65535),
  adminPort: wholeNumber('STT_RELAY_ADMIN_PORT', 8096, 0, 65535),
  host: env.STT_RELAY_HOST || '127.0.0.1',
  apiKeys,
  engine: engine as EngineKind,
  maxBytes: wholeNumber('STT_RELAY_MAX_BYTES', DEFAULT_RELAY_MAX_BYTES, 1, 2 ** 32),
  logger: createLogger('stt-relay'),
}).catch((err: unknown) => fail(`cannot start: ${err instanceof Error ? err.message : String(err)}`));
process.stdout.write(`stt-relay listening url=${relay.url} admin=${relay.adminUrl}\n`);

stopOnSignal(() => relay.close());
