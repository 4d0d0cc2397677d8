import { peakBetween } from './rss.js';

// Where a Node process's memory is, as its /metrics shows it (prom-client's
// default metrics): the V8 heap in use and as reserved, the live set after the
// last full collection (lib/infra/heap-after-gc.ts), and the memory outside
// it (Buffers, the Temporal core's and the drivers' native allocations are only
// in RSS). Polled every so often: a look at what RSS grows from, not a peak.

const MiB = 1024 * 1024;
const METRICS = {
  heapUsed: 'nodejs_heap_size_used_bytes',
  heapTotal: 'nodejs_heap_size_total_bytes',
  external: 'nodejs_external_memory_bytes',
  liveAfterGc: 'scaiwave_heap_live_after_gc_bytes',
} as const;
export type HeapFigure = keyof typeof METRICS;

export class HeapWatch {
  private readonly timer: NodeJS.Timeout;
  private readonly timelines = new Map<HeapFigure, [number, number][]>(Object.keys(METRICS).map((k) => [k as HeapFigure, []]));
  private inFlight = false;

  constructor(private readonly metricsUrl: string, everyMs: number) {
    this.timer = setInterval(() => void this.poll(), everyMs);
  }

  private async poll(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      const text = await (await fetch(this.metricsUrl)).text();
      const at = Date.now();
      for (const [figure, name] of Object.entries(METRICS) as [HeapFigure, string][]) {
        const value = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1];
        if (value !== undefined) this.timelines.get(figure)!.push([at, Number(value) / MiB]);
      }
    } catch {
      // a missed reading; the next one comes
    } finally {
      this.inFlight = false;
    }
  }

  /** Stops polling; answers each figure's highest reading in [from, to], MiB. */
  stop(): (from: number, to: number) => Record<HeapFigure, number> {
    clearInterval(this.timer);
    return (from, to) => Object.fromEntries([...this.timelines].map(([k, tl]) => [k, peakBetween(tl, from, to)])) as Record<HeapFigure, number>;
  }
}
