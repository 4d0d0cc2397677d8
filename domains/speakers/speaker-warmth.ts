import type { Config } from '../../lib/config.js';
import { withDiarizeNode } from '../../lib/scaiinfer/diarize/client.js';
import { ENGINE_DIARIZE, type NodeRegistry } from '../../lib/scaiinfer/node-registry.js';
import type { WarmRegistry } from './warm-registry.js';

/** Which diarization nodes hold a speaker, which could, and which the registry only believes do. */
export interface SpeakerWarmth {
  speaker_id: string;
  warm_node_ids: string[];
  candidate_node_ids: string[];
  stale_node_ids: string[];
}

/** The registry's word, checked with the nodes themselves: a node that restarted has forgotten. */
export async function speakerWarmth(
  deps: { warm: WarmRegistry; registry: NodeRegistry; config: Config },
  speakerId: string,
): Promise<SpeakerWarmth> {
  const [held, online] = await Promise.all([deps.warm.holders(speakerId), deps.registry.online(ENGINE_DIARIZE)]);
  const timeoutMs = deps.config.env.SCAIWAVE_SCAIECHO_DIARIZE_TIMEOUT_MS;
  const confirmed = await Promise.all(
    online
      .filter((n) => held.includes(n.nodeId))
      .map(async (n) => {
        // A node that does not answer cannot confirm it holds the speaker.
        const holds = await withDiarizeNode(n.address, timeoutMs, (c) => c.listSpeakers([speakerId])).catch((): string[] => []);
        return holds.includes(speakerId) ? [n.nodeId] : [];
      }),
  );
  const warmIds = confirmed.flat().sort();
  return {
    speaker_id: speakerId,
    warm_node_ids: warmIds,
    candidate_node_ids: online.map((n) => n.nodeId).filter((id) => !warmIds.includes(id)).sort(),
    stale_node_ids: held.filter((id) => !warmIds.includes(id)),
  };
}
