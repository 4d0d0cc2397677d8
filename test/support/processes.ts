import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitUntil } from '../../devstack/ports.js';
import { startProcess, tail, type ManagedProcess } from '../../devstack/process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** How node runs an entry: sources through tsx, the compiled dist/ as it is. */
const nodeArgs = (entry: string): string[] => (entry.endsWith('.ts') ? ['--import', 'tsx', path.join(root, entry)] : [path.join(root, entry)]);

export interface WorkerProcess {
  proc: ManagedProcess;
  port: number;
  sdkMetricsPort: number;
}

const CRASH_WORKER = 'test/support/crash-worker.ts';
/** The exit status ManagedProcess gives a process ended by a signal (devstack/process.ts). */
const KILLED = 128;

/**
 * The worker exactly as production runs it: its own process, killable
 * mid-activity. `entry` swaps in a test entry point (test/support/crash-worker.ts)
 * or the compiled one (dist/worker/main.js).
 */
export async function startWorkerProcess(env: Record<string, string> = {}, entry = 'worker/main.ts'): Promise<WorkerProcess> {
  const port = await freePort();
  const sdkMetricsPort = await freePort();
  const proc = startProcess(`worker-${port}`, process.execPath, nodeArgs(entry), {
    cwd: root,
    logDir: process.env.SCAIWAVE_TEST_LOG_DIR ?? path.join(root, '.devstack', 'test-logs'),
    env: {
      ...process.env,
      SCAIWAVE_WORKER_PORT: String(port),
      SCAIWAVE_WORKER_SDK_METRICS_ADDRESS: `127.0.0.1:${sdkMetricsPort}`,
      ...env,
    },
  });
  await Promise.race([
    waitUntil('worker health', async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 120_000),
    proc.exited.then((code) => {
      // A crash worker may reach its point of death before its health port first answers: its work, not a failed start.
      if (entry === CRASH_WORKER && code === KILLED) return;
      throw new Error(`worker exited with ${code}:\n${tail(proc.logFile)}`);
    }),
  ]);
  return { proc, port, sdkMetricsPort };
}

export interface ApiProcess {
  proc: ManagedProcess;
  url: string;
  pid: number;
}

/**
 * The API exactly as production runs it: its own process, one of several replicas.
 * `entry` is api/main.ts, or dist/api/main.js for the compiled build.
 */
export async function startApiProcess(env: Record<string, string> = {}, entry = 'api/main.ts'): Promise<ApiProcess> {
  const port = await freePort();
  const proc = startProcess(`api-${port}`, process.execPath, nodeArgs(entry), {
    cwd: root,
    logDir: process.env.SCAIWAVE_TEST_LOG_DIR ?? path.join(root, '.devstack', 'test-logs'),
    env: { ...process.env, SCAIWAVE_HOST: '127.0.0.1', SCAIWAVE_PORT: String(port), ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitUntil('API health', async () => (await fetch(`${url}/health`)).ok, 120_000),
    proc.exited.then((code) => {
      throw new Error(`API exited with ${code}:\n${tail(proc.logFile)}`);
    }),
  ]);
  return { proc, url, pid: proc.child.pid! };
}
