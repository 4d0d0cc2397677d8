import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from '../../lib/config.js';
import { createTemporalClient } from '../../lib/temporal/client.js';
import { createScaiInferDispatcher, type ScaiInferDispatcher } from '../../lib/scaiinfer/stt/scaiinfer.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import { lanes } from './load.js';

// The client side of every measurement, run in a worker thread of its own so
// its CPU time does not queue behind the API's event loop (the API runs in the
// main thread, as in the test stack). One thread per phase: it gets the phase
// as workerData, answers with one message, and ends.

export type Phase = DirectPhase | JobsPhase | PollPhase;

export interface DirectPhase {
  kind: 'direct';
  /** host:port of the STT node's gRPC listener. */
  address: string;
  calls: number;
  concurrency: number;
  /** A new channel per call, as the dispatch activity makes one per attempt, instead of one shared channel. */
  freshChannel: boolean;
  wav: Uint8Array;
  maxSeconds: number;
}

export interface JobsPhase {
  kind: 'jobs';
  apiUrl: string;
  token: string;
  /** SCAIWAVE_* of the run: the client seals and opens payloads as the API and worker do. */
  env: Record<string, string>;
  jobs: number;
  concurrency: number;
  /** How the client learns the job is done: the workflow's result, or polling the job endpoint. */
  observe: 'result' | 'poll';
  pollIntervalMs: number;
  wav: Uint8Array;
  maxSeconds: number;
}

export interface PollPhase {
  kind: 'poll';
  url: string;
  authorization?: string;
  seconds: number;
  concurrency: number;
  maxRequests: number;
}

export interface DirectSample {
  totalMs: number;
  engineMs: number;
}

export interface JobSample {
  jobId: string;
  /** Epoch ms just before the upload started, to line up with the row's timestamps. */
  submittedAt: number;
  /** Upload to 202. */
  submitMs: number;
  /** Upload to the client knowing the job is completed. */
  totalMs: number;
  status: string;
}

export interface PhaseResult<S> {
  samples: S[];
  /** First error messages, with how often each happened. */
  errors: Record<string, number>;
  wallMs: number;
  /** The phase hit its time bound before doing all its work. */
  cutShort: boolean;
}

export interface PollResult {
  requests: number;
  statuses: Record<string, number>;
  latencies: number[];
  wallMs: number;
  errors: Record<string, number>;
  firstBody: string;
}

class Errors {
  readonly counts: Record<string, number> = {};
  add(err: unknown): void {
    const msg = (err instanceof Error ? err.message : String(err)).slice(0, 200);
    if (msg in this.counts || Object.keys(this.counts).length < 20) this.counts[msg] = (this.counts[msg] ?? 0) + 1;
  }
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function direct(p: DirectPhase): Promise<PhaseResult<DirectSample>> {
  const make = (): ScaiInferDispatcher => createScaiInferDispatcher({ address: p.address, deadlineMs: 30_000 });
  const shared = p.freshChannel ? undefined : make();
  const samples: DirectSample[] = [];
  const errors = new Errors();
  const t0 = performance.now();
  const cutShort = await lanes(p.calls, p.concurrency, t0 + p.maxSeconds * 1000, async (i) => {
    const started = performance.now();
    const dispatcher = shared ?? make();
    try {
      const r = await dispatcher.transcribe({ jobId: `bench-direct-${i}`, audio: once(p.wav), format: 'wav' });
      samples.push({ totalMs: performance.now() - started, engineMs: r.engineMs ?? 0 });
    } catch (err) {
      errors.add(err);
    } finally {
      if (!shared) dispatcher.close();
    }
  });
  const wallMs = performance.now() - t0;
  shared?.close();
  return { samples, errors: errors.counts, wallMs, cutShort };
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

async function jobs(p: JobsPhase): Promise<PhaseResult<JobSample>> {
  const { client: temporal, close } = createTemporalClient(loadConfig({ ...process.env, ...p.env }));
  const auth = { Authorization: `Bearer ${p.token}` };
  const samples: JobSample[] = [];
  const errors = new Errors();

  const observe = async (jobId: string): Promise<string> => {
    if (p.observe === 'result') {
      const out = (await temporal.workflow.getHandle(workflowIds.transcribe(jobId)).result()) as { status: string };
      return out.status;
    }
    for (;;) {
      const res = await fetch(`${p.apiUrl}/v1/modules/scaiecho/jobs/${jobId}`, { headers: auth });
      const body = (await res.json()) as { data?: { status: string } };
      if (!res.ok || !body.data) throw new Error(`poll answered ${res.status}`);
      if (TERMINAL.has(body.data.status)) return body.data.status;
      await new Promise((r) => setTimeout(r, p.pollIntervalMs));
    }
  };

  const t0 = performance.now();
  try {
    const cutShort = await lanes(p.jobs, p.concurrency, t0 + p.maxSeconds * 1000, async () => {
      const form = new FormData();
      form.append('force_async', 'true');
      form.append('backend_preference', 'prefer_self_hosted');
      form.append('file', new Blob([p.wav], { type: 'audio/wav' }), 'bench.wav');
      const submittedAt = Date.now();
      const started = performance.now();
      try {
        const res = await fetch(`${p.apiUrl}/v1/modules/scaiecho/transcribe`, { method: 'POST', headers: auth, body: form });
        const body = (await res.json()) as { data?: { job_id: string }; error?: { code: string; message: string } };
        if (res.status !== 202 || !body.data) throw new Error(`transcribe answered ${res.status} ${body.error?.code ?? ''} ${body.error?.message ?? ''}`);
        const submitMs = performance.now() - started;
        const status = await observe(body.data.job_id);
        samples.push({ jobId: body.data.job_id, submittedAt, submitMs, totalMs: performance.now() - started, status });
      } catch (err) {
        errors.add(err);
      }
    });
    return { samples, errors: errors.counts, wallMs: performance.now() - t0, cutShort };
  } finally {
    await close();
  }
}

async function poll(p: PollPhase): Promise<PollResult> {
  const url = new URL(p.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: p.concurrency });
  const headers = p.authorization ? { Authorization: p.authorization } : {};
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const errors = new Errors();
  let firstBody = '';

  const get = (): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: url.hostname, port: url.port, path: url.pathname + url.search, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });

  const t0 = performance.now();
  await lanes(p.maxRequests, p.concurrency, t0 + p.seconds * 1000, async () => {
    const started = performance.now();
    try {
      const { status, body } = await get();
      latencies.push(performance.now() - started);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (!firstBody) firstBody = body;
    } catch (err) {
      errors.add(err);
    }
  });
  const wallMs = performance.now() - t0;
  agent.destroy();
  return { requests: latencies.length, statuses, latencies, wallMs, errors: errors.counts, firstBody };
}

const phase = workerData as Phase;
const run = (): Promise<unknown> => (phase.kind === 'direct' ? direct(phase) : phase.kind === 'jobs' ? jobs(phase) : poll(phase));
run().then(
  (result) => parentPort!.postMessage({ ok: true, result }),
  (err: unknown) => parentPort!.postMessage({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
);
