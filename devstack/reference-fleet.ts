import { startDiarizeNodeProcess } from './diarize-node/process.js';
import type { ManagedProcess } from './process.js';
import { startScaiGridProcess } from './scaigrid/process.js';
import { startSttNodeProcess } from './stt-node/process.js';
import { startSttRelayProcess } from './stt-relay/process.js';

// The systems we do not own, as the dev stack runs them: a managed STT relay
// (backend B), a self-hosted STT node (backend A) and two diarization nodes,
// all with real recognition (Whisper tiny.en hears the words spoken), so a
// new user can transcribe and enroll at once;
// and ScaiGrid with a real embedding model, so messages can be searched.

export const DEV_RELAY_KEY = 'scaiwave-dev-relay-key';
export const DEV_SCAIGRID_KEY = 'sgk_scaiwave_dev_platform_key';

export async function startDevRelay(logDir: string): Promise<{ url: string; process: ManagedProcess }> {
  const relay = await startSttRelayProcess({ apiKeys: [DEV_RELAY_KEY], engine: 'whisper', logDir });
  return { url: relay.url, process: relay.process };
}

/** Serves the model as SCAIWAVE_AI_EMBEDDING_MODEL names it, so the product finds it. */
export async function startDevScaiGrid(
  logDir: string,
  model: string,
  scaikey: { url: string; audience: string },
): Promise<{ url: string; process: ManagedProcess }> {
  const grid = await startScaiGridProcess({ apiKeys: [DEV_SCAIGRID_KEY], model, logDir, scaikey });
  return { url: grid.url, process: grid.process };
}

/** Nodes register with the API through its heartbeat route, as production nodes do. */
export async function startDevNodes(opts: { apiUrl: string; serviceToken: string; logDir: string }): Promise<ManagedProcess[]> {
  const common = { registryUrl: opts.apiUrl, registryToken: opts.serviceToken, logDir: opts.logDir };
  const nodes = await Promise.all([
    startSttNodeProcess({ ...common, nodeId: 'dev-stt-1', engine: 'whisper' }),
    startDiarizeNodeProcess({ ...common, nodeId: 'dev-diarize-1', engine: 'd-vector' }),
    startDiarizeNodeProcess({ ...common, nodeId: 'dev-diarize-2', engine: 'd-vector' }),
  ]);
  return nodes.map((n) => n.process);
}
