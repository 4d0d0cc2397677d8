import { syncMessages } from './message-sync.js';
import { keepBeating } from '../../lib/temporal/keep-beating.js';
import type { SearchServices } from '../../lib/search-index/search-services.js';
import type { ActivityDeps } from '../../lib/temporal/activity-deps.js';

/** How often a batch says it is alive; the workflows' heartbeat timeout is a few of these. */
const BEAT_MS = 5000;

/** Messages per reindex page. */
const REINDEX_PAGE = 200;

type Scope = { tenantId: string; roomId?: string };
const scopeWhere = ({ tenantId, roomId }: Scope) => ({ tenantId, ...(roomId ? { roomId } : {}) });

/** Indexing reaches the message index and the embedder beside the clients every activity has. */
export type SearchActivityDeps = ActivityDeps & { search: SearchServices };

export function waveSearchActivities({ db, search }: SearchActivityDeps) {
  return {
    /**
     * Brings the index in line with MariaDB for the changed messages, then
     * counts each one's lag: from its change to searchable.
     */
    async syncSearchIndex(input: { tenantId: string; changes: [string, number][] }): Promise<{ indexed: number; removed: number }> {
      const outcome = await keepBeating(BEAT_MS, () => syncMessages(db, search, input.tenantId, input.changes.map(([id]) => id)));
      const now = Date.now();
      for (const [, at] of input.changes) search.lag(Math.max(0, now - at) / 1000);
      return outcome;
    },

    async countReindexScope(scope: Scope): Promise<number> {
      return db.waveMessage.count({ where: scopeWhere(scope) });
    },

    /** Removes from the index every message of the scope deleted since `since` (epoch ms); answers how many. */
    async removeDeletedSince(input: Scope & { since: number }): Promise<number> {
      const deleted = await db.waveMessage.findMany({ where: { ...scopeWhere(input), deletedAt: { gte: new Date(input.since) } }, select: { id: true } });
      if (deleted.length > 0) await (await search.index()).remove(input.tenantId, deleted.map((m) => m.id));
      return deleted.length;
    },

    /** The next page of the scope's messages after `after`, in id order, indexed or removed as each is now. */
    async reindexSearchPage(input: Scope & { after: string | null }): Promise<{ lastId: string | null; indexed: number; removed: number }> {
      const page = await db.waveMessage.findMany({
        where: { ...scopeWhere(input), ...(input.after ? { id: { gt: input.after } } : {}) },
        orderBy: { id: 'asc' },
        take: REINDEX_PAGE,
        select: { id: true },
      });
      if (page.length === 0) return { lastId: null, indexed: 0, removed: 0 };
      const outcome = await keepBeating(BEAT_MS, () => syncMessages(db, search, input.tenantId, page.map((m) => m.id)));
      return { lastId: page.at(-1)!.id, ...outcome };
    },
  };
}

/** What a workflow proxies: the steps this file defines. */
export type WaveSearchActivities = ReturnType<typeof waveSearchActivities>;
