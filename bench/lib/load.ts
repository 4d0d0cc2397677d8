// The two shapes of load the benches generate.

/**
 * Open loop: requests start on a fixed schedule whether or not earlier ones
 * answered, so a slow server shows as latency, not as fewer requests.
 * `fire(i)` makes request i and answers whether it succeeded.
 */
export async function openLoop(rps: number, seconds: number, fire: (i: number) => Promise<boolean>): Promise<{ latencies: number[]; errors: number; late: number }> {
  const latencies: number[] = [];
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
          latencies.push(performance.now() - t0);
          if (!ok) errors++;
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(inflight);
  return { latencies, errors, late };
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
