import type { Redis } from '../redis.js';

// ScaiInfer nodes heartbeat into Redis through the API. A node is online while
// its last heartbeat is younger than the TTL; nothing has to notice a node dying.

export const ENGINE_STT = 'stt';
export const ENGINE_DIARIZE = 'audio.analyze.pyannote';

export interface NodeHeartbeat {
  nodeId: string;
  address: string;
  engineKinds: string[];
  capacity: number;
  version: string;
}

export interface OnlineNode extends NodeHeartbeat {
  lastSeenMs: number;
}

const nodeKey = (id: string): string => `nodes:node:${id}`;
const kindKey = (kind: string): string => `nodes:kind:${kind}`;

export class NodeRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async heartbeat(hb: NodeHeartbeat): Promise<void> {
    const at = this.now();
    const tx = this.redis.multi();
    tx.hset(nodeKey(hb.nodeId), {
      address: hb.address,
      engineKinds: JSON.stringify(hb.engineKinds),
      capacity: String(hb.capacity),
      version: hb.version,
      lastSeenMs: String(at),
    });
    // The record outlives the TTL a little so operators can still see a node that just went quiet.
    tx.expire(nodeKey(hb.nodeId), this.ttlSeconds * 6);
    for (const kind of hb.engineKinds) tx.zadd(kindKey(kind), at, hb.nodeId);
    await tx.exec();
  }

  async deregister(nodeId: string): Promise<void> {
    const kinds = await this.redis.hget(nodeKey(nodeId), 'engineKinds');
    const tx = this.redis.multi();
    for (const kind of kinds ? (JSON.parse(kinds) as string[]) : []) tx.zrem(kindKey(kind), nodeId);
    tx.del(nodeKey(nodeId));
    await tx.exec();
  }

  async online(kind: string): Promise<OnlineNode[]> {
    const cutoff = this.now() - this.ttlSeconds * 1000;
    // Drop the long dead so the set does not grow without bound.
    await this.redis.zremrangebyscore(kindKey(kind), '-inf', cutoff - this.ttlSeconds * 5000);
    const ids = await this.redis.zrangebyscore(kindKey(kind), cutoff, '+inf');
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(nodeKey(id));
    const rows = (await pipe.exec()) ?? [];
    return ids.flatMap((nodeId, i) => {
      const h = rows[i]?.[1] as Record<string, string> | undefined;
      if (!h?.address || Number(h.lastSeenMs) < cutoff) return [];
      return [
        {
          nodeId,
          address: h.address,
          engineKinds: JSON.parse(h.engineKinds ?? '[]') as string[],
          capacity: Number(h.capacity ?? 1),
          version: h.version ?? '',
          lastSeenMs: Number(h.lastSeenMs),
        },
      ];
    });
  }

  /** resolve_audio_node(engine_kind): a random online node, so load spreads; undefined when none. */
  async resolve(kind: string, exclude: readonly string[] = []): Promise<OnlineNode | undefined> {
    const candidates = (await this.online(kind)).filter((n) => !exclude.includes(n.nodeId));
    return candidates[Math.floor(Math.random() * candidates.length)];
  }
}
