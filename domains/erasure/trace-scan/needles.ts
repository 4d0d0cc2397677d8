// What the completeness scan looks for, and what it answers. A needle is named
// by what it is (`user id`, `email`, `phrase 2`), never printed as itself: the
// report of an erasure must not carry what was erased.

export interface Needle {
  label: string;
  bytes: Buffer;
}

export const TRACE_STORES = ['mariadb', 's3', 'redis', 'jetstream', 'search_index', 'temporal'] as const;
export type TraceStore = (typeof TRACE_STORES)[number];

export interface TraceHit {
  store: TraceStore;
  /** table.column, object key, Redis key, stream and sequence, index file, workflow id: where the needle is */
  where: string;
  needle: string;
  /** rows or places in `where` holding it */
  count: number;
}

/** What a store's scan read, and what it could not, so a zero is never silent about its limits. */
export interface StoreScan {
  store: TraceStore;
  read: number;
  hits: TraceHit[];
  skipped: string[];
}

export const found = (haystack: Uint8Array, needles: readonly Needle[]): Needle[] => {
  const b = Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength);
  return needles.filter((n) => b.includes(n.bytes));
};

export function needlesOf(userId: string, extra: { email?: string; subject?: string; phrases?: readonly string[] }): Needle[] {
  const out: Needle[] = [{ label: 'user id', bytes: Buffer.from(userId) }];
  if (extra.email) out.push({ label: 'email', bytes: Buffer.from(extra.email) });
  if (extra.subject) out.push({ label: 'subject', bytes: Buffer.from(extra.subject) });
  (extra.phrases ?? []).forEach((p, i) => out.push({ label: `phrase ${i + 1}`, bytes: Buffer.from(p) }));
  return out;
}
