import type { Redis } from '../../lib/infra/redis.js';

// Which diarization nodes hold which speakers' embeddings. Two sets per
// speaker: the nodes that acknowledged holding it (warm), and every node it was
// ever sent to, acknowledged or not, because a node can keep an embedding whose
// acknowledgement never reached us. Erasure evicts from the union of both.

const heldKey = (speakerId: string): string => `speakers:held:${speakerId}`;
const sentKey = (speakerId: string): string => `speakers:sent:${speakerId}`;

// Registers a holder only while the node is still among those sent the
// speaker: an eviction that landed in between has removed it, and must win.
const REGISTER_HELD = `if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return redis.call('SADD', KEYS[2], ARGV[1]) end return -1`;

export class WarmRegistry {
  constructor(private readonly redis: Redis) {}

  /** Before the embedding leaves for the node. */
  async sending(speakerId: string, nodeId: string): Promise<void> {
    await this.redis.sadd(sentKey(speakerId), nodeId);
  }

  /** After the node acknowledged; false when an eviction overtook the acknowledgement. */
  async held(speakerId: string, nodeId: string): Promise<boolean> {
    return (await this.redis.eval(REGISTER_HELD, 2, sentKey(speakerId), heldKey(speakerId), nodeId)) !== -1;
  }

  /**
   * The reconcile found the node gone, or answering without the speaker: it no
   * longer counts as holding it. It stays among those sent the speaker, so an
   * erasure still asks it to evict should it come back with the embedding.
   */
  async notHeld(speakerId: string, nodeId: string): Promise<void> {
    await this.redis.srem(heldKey(speakerId), nodeId);
  }

  /** After the node acknowledged an eviction. */
  async evicted(speakerId: string, nodeId: string): Promise<void> {
    await this.redis.multi().srem(heldKey(speakerId), nodeId).srem(sentKey(speakerId), nodeId).exec();
  }

  async holders(speakerId: string): Promise<string[]> {
    return (await this.redis.smembers(heldKey(speakerId))).sort();
  }

  /** Every node that may hold the speaker's embedding. */
  async mayHold(speakerId: string): Promise<string[]> {
    return (await this.redis.sunion(heldKey(speakerId), sentKey(speakerId))).sort();
  }

  /** Once every replica has evicted the speaker. */
  async forget(speakerId: string): Promise<void> {
    await this.redis.del(heldKey(speakerId), sentKey(speakerId));
  }
}
