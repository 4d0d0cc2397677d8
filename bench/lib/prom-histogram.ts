// A Prometheus histogram as a process's /metrics shows it: cumulative counts
// per upper bound. Two readings around a phase give the phase's own counts.

/** upper bound (seconds; Infinity for +Inf) → observations at or below it, in rising order */
export type Buckets = Map<number, number>;

export async function readHistogram(metricsUrl: string, name: string): Promise<Buckets> {
  const text = await (await fetch(metricsUrl)).text();
  const line = new RegExp(`^${name}_bucket\\{(?:[^}]*,)?le="([^"]+)"[^}]*\\} (\\S+)$`);
  const buckets: Buckets = new Map();
  for (const l of text.split('\n')) {
    const m = line.exec(l);
    if (!m) continue;
    const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
    buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
  }
  return new Map([...buckets].sort(([a], [b]) => a - b));
}

/** The observations made between two readings. */
export const since = (before: Buckets, after: Buckets): Buckets => new Map([...after].map(([le, n]) => [le, n - (before.get(le) ?? 0)]));

/** The smallest upper bound that holds the p-th percentile: all a histogram can say of it. */
export function boundOf(buckets: Buckets, p: number): number {
  const total = buckets.get(Infinity) ?? 0;
  for (const [le, n] of buckets) if (n >= (p / 100) * total) return le;
  return Infinity;
}
