import fs from 'node:fs';
import path from 'node:path';
import { startApi, type RunningApi } from '../../api/server.js';
import { startSttNodeProcess } from '../../devstack/stt-node/process.js';
import { startSttRelayProcess } from '../../devstack/stt-relay/process.js';
import type { EngineKind } from '../../devstack/stt/engine.js';
import { waitUntil } from '../../devstack/ports.js';
import type { ManagedProcess } from '../../devstack/process.js';
import { call, testConfig, uniq, type ApiAnswer } from './stack.js';
import { startWorkerProcess, type WorkerProcess } from './processes.js';

export interface SttNode {
  nodeId: string;
  adminUrl: string;
  process: ManagedProcess;
  fault(mode: 'ok' | 'fail' | 'stall' | 'offline', count?: number): Promise<void>;
}

export interface ScaiEchoStack {
  api: RunningApi;
  env: Record<string, string>;
  relay: { url: string; adminUrl: string; process: ManagedProcess };
  nodes: SttNode[];
  worker: WorkerProcess;
  startWorker(): Promise<WorkerProcess>;
  startNode(engine?: EngineKind): Promise<SttNode>;
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
 * The ScaiEcho slice as production runs it: API, a worker process, a relay and
 * STT nodes as processes of their own, the nodes heartbeating into the API.
 * Node TTL is short so "offline" shows within seconds.
 */
export async function startScaiEchoStack(
  opts: { engine?: EngineKind; nodes?: number; env?: Record<string, string> } = {},
): Promise<ScaiEchoStack> {
  const engine = opts.engine ?? 'pocketsphinx';
  const relayKey = uniq('relay-key');
  const relay = await startSttRelayProcess({ apiKeys: [relayKey], engine, logDir: logDir(), name: uniq('stt-relay') });
  const env: Record<string, string> = {
    SCAIWAVE_TEMPORAL_TASK_QUEUE: uniq('scaiecho'),
    SCAIWAVE_SCAIECHO_RELAY_URL: relay.url,
    SCAIWAVE_SCAIECHO_RELAY_API_KEY: relayKey,
    SCAIWAVE_SCAIECHO_NODE_TTL_SECONDS: '3',
    ...opts.env,
  };
  const config = testConfig(env);
  const api = await startApi(config, { port: 0 });
  const workers: WorkerProcess[] = [];
  const nodes: SttNode[] = [];

  const startNode = async (e: EngineKind = engine): Promise<SttNode> => {
    const nodeId = uniq('stt-node');
    const n = await startSttNodeProcess({
      nodeId,
      engine: e,
      registryUrl: api.url,
      registryToken: config.env.SCAIWAVE_SERVICE_TOKEN!,
      logDir: logDir(),
      heartbeatMs: 500,
    });
    await waitUntil(`${nodeId} registered`, async () =>
      (await api.deps.registry.online('stt')).some((o) => o.nodeId === nodeId),
    );
    const node = { nodeId, adminUrl: n.adminUrl, process: n.process, fault: (m: Parameters<SttNode['fault']>[0], c?: number) => setFault(n.adminUrl, m, c) };
    nodes.push(node);
    return node;
  };
  const startWorker = async (): Promise<WorkerProcess> => {
    const w = await startWorkerProcess(env);
    workers.push(w);
    return w;
  };

  for (let i = 0; i < (opts.nodes ?? 1); i++) await startNode();
  const worker = await startWorker();

  return {
    api,
    env,
    relay,
    nodes,
    worker,
    startWorker,
    startNode,
    async stop() {
      await api.close();
      await Promise.allSettled([...workers, ...nodes.map((n) => ({ proc: n.process }))].map((w) => w.proc.stop(3000)));
      await relay.process.stop(3000);
    },
  };
}

export interface JobBody {
  job_id: string;
  status: string;
  status_reason: string | null;
  transcript: string | null;
  segments: { start_ms: number; end_ms: number; text: string }[] | null;
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
): Promise<ApiAnswer<JobBody>> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const bytes = typeof file === 'string' ? fs.readFileSync(file) : file;
  form.append('file', new Blob([bytes]), typeof file === 'string' ? path.basename(file) : 'upload.bin');
  return call<JobBody>(baseUrl, 'POST', '/v1/modules/scaiecho/transcribe', { token, body: form });
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
