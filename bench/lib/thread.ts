import { Worker } from 'node:worker_threads';
import type { DirectPhase, DirectSample, JobSample, JobsPhase, PhaseResult, PollPhase, PollResult } from './client.js';

// Runs one phase of client.ts in a worker thread. Worker threads do not inherit
// the tsx loader from `--import tsx`, so the thread registers it itself first.

const entry = new URL('./client.ts', import.meta.url).href;
const tsxApi = import.meta.resolve('tsx/esm/api');
const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;

const running = new Set<Worker>();

function inThread<R>(phase: DirectPhase | JobsPhase | PollPhase): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const worker = new Worker(bootstrap, { eval: true, workerData: phase });
    running.add(worker);
    let settled = false;
    worker.once('message', (msg: { ok: true; result: R } | { ok: false; error: string }) => {
      settled = true;
      if (msg.ok) resolve(msg.result);
      else reject(new Error(`client thread (${phase.kind}) failed: ${msg.error}`));
      void worker.terminate();
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      running.delete(worker);
      if (!settled) reject(new Error(`client thread (${phase.kind}) exited with ${code} before answering`));
    });
  });
}

export const runDirect = (p: Omit<DirectPhase, 'kind'>): Promise<PhaseResult<DirectSample>> => inThread({ kind: 'direct', ...p });
export const runJobs = (p: Omit<JobsPhase, 'kind'>): Promise<PhaseResult<JobSample>> => inThread({ kind: 'jobs', ...p });
export const runPoll = (p: Omit<PollPhase, 'kind'>): Promise<PollResult> => inThread({ kind: 'poll', ...p });

/** Ends every client thread still running (Ctrl-C). */
export async function stopClientThreads(): Promise<void> {
  await Promise.allSettled([...running].map((w) => w.terminate()));
}
