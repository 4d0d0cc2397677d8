// Turning what an engine returns into the one ordered list every page of a
// search is cut from. Engines break score ties as they like and may pick
// either of two tied rows at a top-k cut, so the list is re-sorted with
// messageId as tie-breaker, and a full fetch drops its lowest-scored tie group
// (which rows of that group made the cut is the engine's choice, and could
// differ between the fetches of two pages).

export interface Ranked {
  messageId: string;
  score: number;
}

/** A hit as a backend found it, before it is paged and its snippet cut. */
export interface Candidate extends Ranked {
  roomId: string;
  authorId: string;
  createdAt: Date;
  body: string;
}

const byScoreThenId = (a: Ranked, b: Ranked) =>
  b.score - a.score || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0);

/** `rows` as fetched with a limit of `fetched`: sorted, and cut to what any fetch of the same data returns. */
export function stableOrder<T extends Ranked>(rows: readonly T[], fetched: number): T[] {
  const sorted = [...rows].sort(byScoreThenId);
  if (rows.length < fetched) return sorted;
  const last = sorted.at(-1)?.score;
  const kept = sorted.filter((r) => r.score !== last);
  return kept.length > 0 ? kept : sorted;
}

/** The usual constant of reciprocal rank fusion (Cormack et al. 2009); Weaviate's rankedFusion uses it too. */
const RRF_K = 60;

/**
 * Reciprocal rank fusion: each list adds 1/(RRF_K + rank) to a document's score,
 * so a document high in both lists beats one that is high in only one.
 */
export function fuseByRank<T extends Ranked>(lists: readonly (readonly T[])[]): T[] {
  const fused = new Map<string, T>();
  for (const list of lists) {
    list.forEach((row, rank) => {
      const seen = fused.get(row.messageId);
      const score = (seen?.score ?? 0) + 1 / (RRF_K + rank + 1);
      fused.set(row.messageId, { ...(seen ?? row), score });
    });
  }
  return [...fused.values()].sort(byScoreThenId);
}
