import { PerformanceObserver, constants } from 'node:perf_hooks';
import v8 from 'node:v8';
import { Gauge, type Registry } from 'prom-client';

// The V8 heap's size in use says little about a leak: V8 lets garbage pile up
// while the process allocates fast and the heap limit is far away, so a worker
// busy for a minute shows hundreds of MiB "used" that the next full collection
// frees. What grows when something is kept is the heap right after a full
// (mark-compact) collection: the live set. One observer per process, however
// many registries read it.

let liveBytes: number | undefined;
let observing = false;

function observe(): void {
  if (observing) return;
  observing = true;
  new PerformanceObserver((list) => {
    const major = list.getEntries().some((e) => (e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (major) liveBytes = v8.getHeapStatistics().used_heap_size;
  }).observe({ entryTypes: ['gc'] });
}

export function heapAfterGcGauge(registry: Registry): void {
  observe();
  new Gauge({
    name: 'scaiwave_heap_live_after_gc_bytes',
    help: 'V8 heap in use right after the last full collection (the live set; absent until the first one)',
    registers: [registry],
    collect() {
      if (liveBytes !== undefined) this.set(liveBytes);
    },
  });
}
