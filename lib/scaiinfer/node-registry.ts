import type { Redis } from '../infra/redis.js';

// ScaiInfer nodes heartbeat into Redis through the API. A node is online while
// its last heartbeat is younger than the TTL; nothing has to notice a node dying.

export const ENGINE_STT = 'stt';
export const ENGINE_DIARIZE = 'audio.analyze.pyannote';

interface NodeHeartbeat {
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
// Nodes an operator took out of the cluster for good, with when: work that waits
// for a node to come back (an eviction) stops waiting for these.
const REMOVED_KEY = 'nodes:removed';
// Every node id that ever registered, with its first heartbeat: the node record
// expires soon after a node goes quiet, but an operator may remove it weeks
// later (while evictions still wait for it), and an id never seen is a 404.
const KNOWN_KEY = 'nodes:known';

export class NodeRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** 'removed' for a node an operator removed: it must not rejoin under the same id, holding what it held. */
  async heartbeat(hb: NodeHeartbeat): Promise<'accepted' | 'removed'> {
    if (await this.removedAt(hb.nodeId)) return 'removed';
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
    tx.hsetnx(KNOWN_KEY, hb.nodeId, String(at));
    await tx.exec();
    return 'accepted';
  }

  async deregister(nodeId: string): Promise<void> {
    const kinds = await this.redis.hget(nodeKey(nodeId), 'engineKinds');
    const tx = this.redis.multi();
    for (const kind of kinds ? (JSON.parse(kinds) as string[]) : []) tx.zrem(kindKey(kind), nodeId);
    tx.del(nodeKey(nodeId));
    await tx.exec();
  }

  /**
   * An operator's decision that the node is gone for good (decommissioned, its
   * disks wiped). False for a node id that never registered; removing a node
   * again keeps the first removal's time.
   */
  async remove(nodeId: string): Promise<boolean> {
    const seen = await Promise.all([
      this.redis.hexists(KNOWN_KEY, nodeId),
      this.redis.exists(nodeKey(nodeId)),
      this.redis.hexists(REMOVED_KEY, nodeId),
    ]);
    if (!seen.some(Boolean)) return false;
    await this.redis.hsetnx(REMOVED_KEY, nodeId, String(this.now()));
    await this.deregister(nodeId);
    return true;
  }

  async removedAt(nodeId: string): Promise<Date | undefined> {
    const at = await this.redis.hget(REMOVED_KEY, nodeId);
    return at ? new Date(Number(at)) : undefined;
  }

  /** The node, if it is online now. */
  async find(nodeId: string): Promise<OnlineNode | undefined> {
    return this.toOnline(nodeId, await this.redis.hgetall(nodeKey(nodeId)), this.now() - this.ttlSeconds * 1000);
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
    return ids.flatMap((nodeId, i) => this.toOnline(nodeId, rows[i]?.[1] as Record<string, string> | undefined, cutoff) ?? []);
  }

  private toOnline(nodeId: string, h: Record<string, string> | undefined, cutoff: number): OnlineNode | undefined {
    if (!h?.address || Number(h.lastSeenMs) < cutoff) return undefined;
    return {
      nodeId,
      address: h.address,
      engineKinds: JSON.parse(h.engineKinds ?? '[]') as string[],
      capacity: Number(h.capacity ?? 1),
      version: h.version ?? '',
      lastSeenMs: Number(h.lastSeenMs),
    };
  }

  /** resolve_audio_node(engine_kind): a random online node, so load spreads; undefined when none. */
  async resolve(kind: string, exclude: readonly string[] = []): Promise<OnlineNode | undefined> {
    const candidates = (await this.online(kind)).filter((n) => !exclude.includes(n.nodeId));
    return candidates[Math.floor(Math.random() * candidates.length)];
  }
}
