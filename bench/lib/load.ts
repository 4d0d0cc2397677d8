// The two shapes of load the benches generate.

/** A request slower than this makes its second of an open loop a slow one. */
export const SLOW_MS = 100;

/**
 * Open loop: requests start on a fixed schedule whether or not earlier ones
 * answered, so a slow server shows as latency, not as fewer requests.
 * `fire(i)` makes request i and answers whether it succeeded.
 */
export async function openLoop(
  rps: number,
  seconds: number,
  fire: (i: number) => Promise<boolean>,
): Promise<{ latencies: number[]; errors: number; late: number; slowSeconds: number }> {
  const latencies: number[] = [];
  // The worst request of each second of the schedule, by when it started: a p99 set by a few
  // stalls (every request at once) reads differently from one set by a steady tail.
  const worst: number[] = [];
  let errors = 0;
  let late = 0;
  const total = rps * seconds;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rps;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else if (wait < -50) late++;
    const t0 = performance.now();
    inflight.push(
      fire(i).then(
        (ok) => {
          const took = performance.now() - t0;
          latencies.push(took);
          const second = Math.floor((t0 - start) / 1000);
          worst[second] = Math.max(worst[second] ?? 0, took);
          if (!ok) errors++;
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(inflight);
  return { latencies, errors, late, slowSeconds: worst.filter((w) => w > SLOW_MS).length };
}

/** Closed loop: runs fn for 0..total-1 with `concurrency` lanes until done or the deadline passes; true when cut short. */
export async function lanes(total: number, concurrency: number, deadline: number, fn: (i: number) => Promise<void>): Promise<boolean> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, async () => {
      while (next < total && performance.now() < deadline) await fn(next++);
    }),
  );
  return next < total;
}
