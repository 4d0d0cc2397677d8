import fs from 'node:fs';
import path from 'node:path';
import { startApi, type RunningApi } from '../../api/server.js';
import { startDiarizeNodeProcess } from '../../devstack/diarize-node/process.js';
import type { NodeProcess } from '../../devstack/node-process.js';
import { startSttNodeProcess } from '../../devstack/stt-node/process.js';
import { startSttRelayProcess } from '../../devstack/stt-relay/process.js';
import type { DiarizeEngineKind } from '../../devstack/diarize-node/speaker-embedder.js';
import type { EngineKind } from '../../devstack/stt/transcript.js';
import { waitUntil } from '../../devstack/ports.js';
import { ENGINE_DIARIZE, ENGINE_STT } from '../../lib/scaiinfer/node-registry.js';
import type { ManagedProcess } from '../../devstack/process.js';
import { call, testConfig, uniq, type ApiAnswer } from './stack.js';
import { startWorkerProcess, type WorkerProcess } from './processes.js';

/** A reference ScaiInfer node (STT or diarization) as a test drives it. */
export interface RefNode {
  nodeId: string;
  grpcAddress: string;
  adminUrl: string;
  process: ManagedProcess;
  fault(mode: 'ok' | 'fail' | 'stall' | 'offline', count?: number): Promise<void>;
  stats(): Promise<Record<string, number | string>>;
}

export interface ScaiEchoStack {
  api: RunningApi;
  env: Record<string, string>;
  relay: { url: string; adminUrl: string; process: ManagedProcess };
  nodes: RefNode[];
  /** Diarization nodes (audio.analyze.pyannote). */
  diarizers: RefNode[];
  worker: WorkerProcess;
  startWorker(): Promise<WorkerProcess>;
  startNode(engine?: EngineKind): Promise<RefNode>;
  startDiarizer(): Promise<RefNode>;
  stop(): Promise<void>;
}

const logDir = (): string => process.env.SCAIWAVE_TEST_LOG_DIR ?? '/tmp';

async function setFault(adminUrl: string, mode: string, count?: number): Promise<void> {
  const res = await fetch(`${adminUrl}/admin/fault`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(count ? { mode, count } : { mode }),
  });
  if (!res.ok) throw new Error(`fault ${mode} refused: ${res.status}`);
}

/**
 * The ScaiEcho slice as production runs it: API, a worker process, a relay,
 * STT nodes and diarization nodes as processes of their own, the nodes
 * heartbeating into the API. Node TTL is short so "offline" shows within seconds.
 */
export async function startScaiEchoStack(
  opts: { engine?: EngineKind; diarizeEngine?: DiarizeEngineKind; nodes?: number; diarizers?: number; env?: Record<string, string> } = {},
): Promise<ScaiEchoStack> {
  const engine = opts.engine ?? 'pocketsphinx';
  const relayKey = uniq('relay-key');
  const relay = await startSttRelayProcess({ apiKeys: [relayKey], engine, logDir: logDir(), name: uniq('stt-relay') });
  const env: Record<string, string> = {
    SCAIWAVE_TEMPORAL_TASK_QUEUE: uniq('scaiecho'),
    SCAIWAVE_SCAIECHO_RELAY_URL: relay.url,
    SCAIWAVE_SCAIECHO_RELAY_API_KEY: relayKey,
    SCAIWAVE_SCAIECHO_NODE_TTL_SECONDS: '3',
    // A node registry (and counters) of this stack's own: suites running side by
    // side must not see each other's nodes come and go.
    SCAIWAVE_REDIS_PREFIX: `${process.env.SCAIWAVE_REDIS_PREFIX}${uniq('stack')}:`,
    ...opts.env,
  };
  const config = testConfig(env);
  const api = await startApi(config, { port: 0 });
  const workers: WorkerProcess[] = [];
  const nodes: RefNode[] = [];
  const diarizers: RefNode[] = [];

  /** Started, and online in the registry, before it is handed out. */
  const launch = async (prefix: string, kind: string, start: (nodeId: string) => Promise<NodeProcess>): Promise<RefNode> => {
    const nodeId = uniq(prefix);
    const n = await start(nodeId);
    await waitUntil(`${nodeId} registered`, async () => (await api.deps.registry.online(kind)).some((o) => o.nodeId === nodeId));
    return {
      nodeId,
      grpcAddress: n.grpcAddress,
      adminUrl: n.adminUrl,
      process: n.process,
      fault: (m, c) => setFault(n.adminUrl, m, c),
      stats: async () => (await (await fetch(`${n.adminUrl}/stats`)).json()) as Record<string, number | string>,
    };
  };
  const registration = { registryUrl: api.url, registryToken: config.env.SCAIWAVE_SERVICE_TOKEN!, logDir: logDir(), heartbeatMs: 500 };
  const startNode = async (e: EngineKind = engine): Promise<RefNode> => {
    const node = await launch('stt-node', ENGINE_STT, (nodeId) => startSttNodeProcess({ ...registration, nodeId, engine: e }));
    nodes.push(node);
    return node;
  };
  const startDiarizer = async (): Promise<RefNode> => {
    const node = await launch('diarize-node', ENGINE_DIARIZE, (nodeId) => startDiarizeNodeProcess({ ...registration, nodeId, engine: opts.diarizeEngine }));
    diarizers.push(node);
    return node;
  };
  const startWorker = async (): Promise<WorkerProcess> => {
    const w = await startWorkerProcess(env);
    workers.push(w);
    return w;
  };

  for (let i = 0; i < (opts.nodes ?? 1); i++) await startNode();
  for (let i = 0; i < (opts.diarizers ?? 0); i++) await startDiarizer();
  const worker = await startWorker();

  return {
    api,
    env,
    relay,
    nodes,
    diarizers,
    worker,
    startWorker,
    startNode,
    startDiarizer,
    async stop() {
      await api.close();
      await Promise.allSettled([...workers, ...[...nodes, ...diarizers].map((n) => ({ proc: n.process }))].map((w) => w.proc.stop(3000)));
      await relay.process.stop(3000);
    },
  };
}

export interface JobBody {
  job_id: string;
  status: string;
  status_reason: string | null;
  transcript: string | null;
  /** speaker_* only on jobs that asked for attribution. */
  segments: { start_ms: number; end_ms: number; text: string; speaker_id?: string | null; speaker_label?: string | null }[] | null;
  backend_used: 'A' | 'B' | null;
  language_detected: string | null;
  audio_duration_ms: number | null;
  audio_sha256: string;
  audio_bytes: number;
  poll_url?: string;
  completed_at: string | null;
}

export async function transcribe(
  baseUrl: string,
  token: string,
  file: string | Buffer,
  fields: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<ApiAnswer<JobBody>> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const bytes = typeof file === 'string' ? fs.readFileSync(file) : file;
  form.append('file', new Blob([bytes]), typeof file === 'string' ? path.basename(file) : 'upload.bin');
  return call<JobBody>(baseUrl, 'POST', '/v1/modules/scaiecho/transcribe', { token, body: form, headers });
}

/**
 * An inline transcription whose client will hang up: `hangUp()` aborts the
 * request as a closing client would; `answer` settles with the AbortError.
 */
export function transcribeUntilHangUp(baseUrl: string, token: string, audio: Buffer): { answer: Promise<unknown>; hangUp(): void } {
  const form = new FormData();
  form.append('file', new Blob([audio]), 'upload.wav');
  const client = new AbortController();
  const answer = fetch(`${baseUrl}/v1/modules/scaiecho/transcribe`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: form,
    signal: client.signal,
  }).catch((err: unknown) => err);
  return { answer, hangUp: () => client.abort() };
}

export async function waitForJob(
  baseUrl: string,
  token: string,
  jobId: string,
  until: (j: JobBody) => boolean = (j) => ['completed', 'failed', 'cancelled'].includes(j.status),
  timeoutMs = 90_000,
): Promise<JobBody> {
  let last: JobBody | undefined;
  await waitUntil(
    `job ${jobId}`,
    async () => {
      const res = await call<JobBody>(baseUrl, 'GET', `/v1/modules/scaiecho/jobs/${jobId}`, { token });
      last = res.body.data;
      return last !== undefined && until(last);
    },
    timeoutMs,
  );
  return last!;
}

/**
 * A speaker enrolment as a client sends it: a reference recording, the consent
 * recording and the consent text's version. 202 while the enrolment workflow runs.
 */
export function enrollSpeaker(baseUrl: string, token: string, reference: string, consent: string, displayName: string): Promise<ApiAnswer<{ speaker_id: string }>> {
  const form = new FormData();
  form.append('display_name', displayName);
  form.append('consent_text_version', 'v3');
  form.append('reference_audio', new Blob([fs.readFileSync(reference)]), 'reference.wav');
  form.append('consent_recording', new Blob([fs.readFileSync(consent)]), 'consent.wav');
  return call(baseUrl, 'POST', '/v1/modules/scaiecho/speakers', { token, body: form });
}
