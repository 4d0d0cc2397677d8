import os from 'node:os';
import type { BenchEnv, Environment } from './env.js';
import { fmt } from './stats.js';

// How a bench that brings up an environment of its own runs: it says what it
// measures and the load it starts under, brings the environment up, runs, and
// tears everything down again, on a signal too (keeping the work directory
// and logs when it failed or was stopped, to read afterwards).

/** The load average, 1/5/15 min, as every bench prints it. */
export const loadAverage = (): string => os.loadavg().map((l) => fmt(l, 2)).join(' / ');

export async function runBench(environment: Environment, say: (line: string) => void, header: string, main: (env: BenchEnv) => Promise<void>): Promise<void> {
  const loadAtStart = loadAverage();
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      say(`\n${signal}: stopping everything this run started …`);
      void environment
        .teardown({ keepWorkDir: true })
        .catch((err: unknown) => console.error(`cleanup failed: ${String(err)}`))
        .finally(() => process.exit(130));
    });
  }
  say(`${header}; load average (1/5/15 min) at start ${loadAtStart}`);
  say(`environment (run ${environment.runId}, ${environment.workDir})`);
  let failed = false;
  try {
    await main(await environment.up());
  } catch (err) {
    failed = true;
    console.error(err);
    process.exitCode = 1;
  } finally {
    say(`\nload average (1/5/15 min) at start ${loadAtStart}, at end ${loadAverage()} on ${os.cpus().length} cores (shared machine)`);
    if (!interrupted) await environment.teardown({ keepWorkDir: failed });
    if (failed) console.error(`logs are kept in ${environment.logDir}`);
  }
}
