export type Check = () => Promise<unknown>;

export interface CheckResult {
  ok: boolean;
  latency_ms: number;
  error?: string;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Runs every check at once, each bounded, so one hung dependency cannot hang the probe. */
export async function runChecks(checks: Record<string, Check>, timeoutMs = 2000): Promise<Record<string, CheckResult>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
      const started = Date.now();
      try {
        await withTimeout(Promise.resolve().then(check), timeoutMs);
        return [name, { ok: true, latency_ms: Date.now() - started }];
      } catch (err) {
        return [name, { ok: false, latency_ms: Date.now() - started, error: (err as Error).message.slice(0, 200) }];
      }
    }),
  );
  return Object.fromEntries(entries);
}
