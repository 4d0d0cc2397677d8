import vm from 'node:vm';
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../lib/infra/metrics.js';

// What an operator reads to tell a leak from garbage: the heap right after a full collection.
describe('/metrics: the live heap after a full collection', () => {
  it('is published once a full collection has run, and is no more than the heap in use before it', async () => {
    const registry = createMetricsRegistry('heap-test');
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    // The heap in use while 200k strings are alive; they are garbage once this returns.
    const inUseWithGarbage = (): number => {
      const garbage = Array.from({ length: 200_000 }, (_, i) => `garbage-${i}`);
      return v8.getHeapStatistics().used_heap_size + garbage.length * 0;
    };
    const before = inUseWithGarbage();
    gc();
    let live: number | undefined;
    while (live === undefined) {
      await new Promise((r) => setTimeout(r, 10));
      const text = await registry.metrics();
      const m = /^scaiwave_heap_live_after_gc_bytes\{[^}]*\} (\S+)$/m.exec(text);
      live = m ? Number(m[1]) : undefined;
    }
    expect(live).toBeGreaterThan(0);
    expect(live).toBeLessThan(before);
  });
});
