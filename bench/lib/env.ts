import { requestDevToken } from '../../devstack/idp/client.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import mariadb from 'mariadb';
import { connect } from 'nats';
import type { ApiDeps } from '../../api/deps.js';
import { startApi } from '../../api/server.js';
import { startIdpProcess } from '../../devstack/idp/process.js';
import { freePort, waitUntil } from '../../devstack/ports.js';
import { startProcess, tail, type ManagedProcess } from '../../devstack/process.js';
import type { EngineKind } from '../../devstack/scaigrid/embedder.js';
import type { EngineKind as SttEngineKind } from '../../devstack/stt/transcript.js';
import { startScaiGridProcess } from '../../devstack/scaigrid/process.js';
import { ensureBucket, s3Client, startSeaweed } from '../../devstack/seaweed.js';
import { startSttRelayProcess } from '../../devstack/stt-relay/process.js';
import { ensureSystemServices } from '../../devstack/system-services.js';
import { startTemporal } from '../../devstack/temporal.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { createDb } from '../../lib/infra/db.js';
import { createLogger } from '../../lib/infra/logger.js';
import { createServices } from '../../lib/services.js';
import { createTemporalClient } from '../../lib/temporal/client.js';
import { applyMigrations } from '../../lib/infra/migrate.js';
import { provisionTenant, type Provisioned } from '../../domains/identity/provisioning.js';
import { ENGINE_STT } from '../../lib/scaiinfer/node-registry.js';
import { setPolicy } from '../../domains/scaiecho/policy.js';

// The benchmark's own world, built the way the test global setup builds one:
// Temporal and SeaweedFS on free ports, the reference IdP, a database, Redis
// prefix, NATS prefix, bucket, task queue and search index directory of its
// own; the API in this process (or, asked for, as a process of its own, as
// production runs it) and the worker as a process; then the slices a bench
// asks for: ScaiEcho (STT node and relay as processes, both with the instant
// engine) and search (the reference ScaiGrid, with its real model or its
// instant engine, so the worker indexes room messages). teardown() undoes all
// of it, whatever got started.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sttNodeEntry = path.join(root, 'devstack/stt-node/main.ts');
const workerEntry = path.join(root, 'worker/main.ts');
const apiEntry = path.join(root, 'api/main.ts');

export interface BenchEnvOptions {
  /** Log level of the API and the worker (the STT node always logs at info: its "transcribed" lines carry engine_ms). */
  logLevel: string;
  /** The ScaiEcho slice: STT relay and node, the tenant's policy pinned to backend A. */
  scaiecho?: {
    /** Concurrent Transcribe calls the STT node accepts. */
    nodeCapacity: number;
    /** The node's engine; by default 'instant', so that figures are our code's, not an engine's. */
    nodeEngine?: SttEngineKind;
  };
  /** The search slice: the reference ScaiGrid with this engine for the API and the worker, whose search feed then indexes messages. */
  search?: { engine: EngineKind };
  /**
   * The API as a process of its own, as production runs it, instead of in the
   * bench's process, where its event loop and CPU share with the load the
   * bench generates; the bench then reads the database and Temporal through
   * clients of its own.
   */
  apiProcess?: boolean;
  /** What SeaweedFS may store, MB (default: its own, enough for the tests). */
  s3CapacityMB?: number;
  /**
   * The worker's V8 heap limit, MiB (--max-old-space-size; default Node's own,
   * from the machine's memory). A deployment's memory limit sets it (Node sizes
   * its heap from the container's); without one V8 lets garbage grow into
   * gigabytes before it collects, and RSS measures that policy, not the work.
   */
  workerHeapMB?: number;
  /** Roles of the tenant's user (default member). */
  roles?: string[];
  /** Progress lines go here. */
  say: (line: string) => void;
}

const heapLimit = (mb: number | undefined): string[] => (mb ? [`--max-old-space-size=${mb}`] : []);

export interface SttNode {
  nodeId: string;
  grpcAddress: string;
  adminUrl: string;
  logFile: string;
}

/** Where the API answers, and the clients a bench reads the run's database, Temporal and node registry with. */
export interface BenchApi {
  url: string;
  deps: Pick<ApiDeps, 'db' | 'temporal' | 'registry'>;
}

export interface BenchEnv {
  runId: string;
  workDir: string;
  logDir: string;
  config: Config;
  /** SCAIWAVE_* of the run, as the worker process gets them. */
  env: Record<string, string>;
  api: BenchApi;
  tenant: Provisioned;
  /** The worker's HTTP listener (/health, /metrics). */
  workerUrl: string;
  /** The ScaiEcho slice's STT node, when asked for. */
  node?: SttNode;
  /** The search slice's ScaiGrid (the run's SCAIWAVE_SCAIGRID_URL and its key), when asked for. */
  scaigrid?: { url: string; adminUrl: string; apiKey: string };
  idpUrl: string;
  /** A ScaiKey access token for the tenant's user, as a browser client would hold one. */
  jwtFor(subject: string, tenantSlug: string): Promise<string>;
}

export class Environment {
  private readonly procs: ManagedProcess[] = [];
  private readonly systemProcs: ManagedProcess[] = [];
  /** What stops the API, or the bench's own clients when the API is a process. */
  private closeApi: (() => Promise<void>) | undefined;
  private dataToDrop: { config: Config; dbName: string; redisPrefix: string; natsPrefix: string } | undefined;
  private torn = false;
  private upDone: Promise<BenchEnv> | undefined;
  readonly runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  readonly workDir = fs.mkdtempSync(path.join(os.tmpdir(), `scaiwave-bench-${this.runId}-`));
  readonly logDir = path.join(this.workDir, 'logs');

  constructor(private readonly opts: BenchEnvOptions) {}

  private async step<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.torn) throw new Error('interrupted');
    const t0 = Date.now();
    const result = await fn();
    this.opts.say(`  ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return result;
  }

  /** Every process goes through here: one that comes up after teardown began is stopped at once. */
  private async track(proc: ManagedProcess, list = this.procs): Promise<void> {
    list.push(proc);
    if (this.torn) await proc.stop(3000);
  }

  up(): Promise<BenchEnv> {
    this.upDone = this.bringUp();
    return this.upDone;
  }

  private async bringUp(): Promise<BenchEnv> {
    const { runId, workDir, logDir } = this;
    const base = loadConfig(process.env);
    await this.step('MariaDB, Redis, NATS answering', async () => {
      for (const p of await ensureSystemServices(base, path.join(workDir, 'services'), logDir)) await this.track(p, this.systemProcs);
    });

    const s3Port = await freePort();
    const s3 = { accessKey: 'scaiwave-bench', secretKey: randomBytes(12).toString('hex') };
    const temporalPort = await freePort();
    const [uiPort, idpPort] = [await freePort(), await freePort()];
    const idp = await this.step('Temporal dev server, SeaweedFS, reference IdP started', async () => {
      const started = await Promise.allSettled([
        startTemporal({ port: temporalPort, uiPort, namespace: 'default', logDir }).then((p) => this.track(p)),
        startSeaweed({ s3Port, dataDir: path.join(workDir, 'seaweedfs'), logDir, ...s3, capacityMB: this.opts.s3CapacityMB }).then((p) => this.track(p)),
        startIdpProcess({ port: idpPort, logDir }).then(async (i) => {
          await this.track(i.process);
          return i;
        }),
      ]);
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      return (started[2] as PromiseFulfilledResult<{ url: string }>).value;
    });

    const relayKey = randomBytes(16).toString('hex');
    const relay = !this.opts.scaiecho
      ? undefined
      : await this.step('STT relay (instant engine) started', async () => {
          const r = await startSttRelayProcess({ apiKeys: [relayKey], engine: 'instant', logDir, name: 'stt-relay' });
          await this.track(r.process);
          return r;
        });
    const gridKey = `sgk_${randomBytes(16).toString('hex')}`;
    const scaigrid = !this.opts.search
      ? undefined
      : await this.step(`reference ScaiGrid (${this.opts.search.engine === 'instant' ? 'instant engine' : 'all-MiniLM-L6-v2'}) loaded`, async () => {
          const g = await startScaiGridProcess({ apiKeys: [gridKey], logDir, engine: this.opts.search!.engine });
          await this.track(g.process);
          return { url: g.url, adminUrl: g.adminUrl, apiKey: gridKey };
        });

    const dbName = `scaiwave_bench_${runId}`;
    const env: Record<string, string> = {
      SCAIWAVE_DB_URL: `mysql://${encodeURIComponent(base.db.user)}:${encodeURIComponent(base.db.password)}@${base.db.host}:${base.db.port}/${dbName}`,
      SCAIWAVE_REDIS_URL: base.env.SCAIWAVE_REDIS_URL,
      SCAIWAVE_REDIS_PREFIX: `scaiwave-bench-${runId}:`,
      SCAIWAVE_NATS_URL: base.env.SCAIWAVE_NATS_URL,
      SCAIWAVE_NATS_PREFIX: `b${runId}`,
      SCAIWAVE_S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
      SCAIWAVE_S3_BUCKET: `scaiwave-bench-${runId}`,
      SCAIWAVE_S3_ACCESS_KEY: s3.accessKey,
      SCAIWAVE_S3_SECRET_KEY: s3.secretKey,
      SCAIWAVE_TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      SCAIWAVE_TEMPORAL_NAMESPACE: 'default',
      SCAIWAVE_TEMPORAL_TASK_QUEUE: `scaiwave-bench-${runId}`,
      SCAIWAVE_SCAIKEY_URL: idp.url,
      SCAIWAVE_AUTH_MODE: 'scaikey',
      SCAIWAVE_SERVICE_TOKEN: randomBytes(24).toString('hex'),
      SCAIWAVE_CODEC_MASTER_KEYS: `bench-${runId}:${randomBytes(32).toString('base64')}`,
      ...(relay ? { SCAIWAVE_SCAIECHO_RELAY_URL: relay.url, SCAIWAVE_SCAIECHO_RELAY_API_KEY: relayKey } : {}),
      ...(scaigrid ? { SCAIWAVE_SCAIGRID_URL: scaigrid.url, SCAIWAVE_SCAIGRID_API_KEY: scaigrid.apiKey } : {}),
      // Never the dev stack's index: the worker of a run writes its own.
      SCAIWAVE_SEARCH_DIR: path.join(workDir, 'search'),
      SCAIWAVE_HOST: '127.0.0.1',
      SCAIWAVE_LOG_LEVEL: this.opts.logLevel,
      // The access log follows --log-level too: at info it writes a line per poll into this terminal.
      SCAIWAVE_ACCESS_LOG_LEVEL: this.opts.logLevel,
    };
    const config = loadConfig({ ...process.env, ...env });
    this.dataToDrop = { config, dbName, redisPrefix: env.SCAIWAVE_REDIS_PREFIX!, natsPrefix: env.SCAIWAVE_NATS_PREFIX! };

    await this.step(`database ${dbName} migrated, bucket created`, async () => {
      await applyMigrations(config.db);
      const client = s3Client(env.SCAIWAVE_S3_ENDPOINT!, s3.accessKey, s3.secretKey);
      try {
        await ensureBucket(client, env.SCAIWAVE_S3_BUCKET!);
      } finally {
        client.destroy();
      }
    });

    const tenant = await this.step(`bench tenant provisioned (high rate limits${this.opts.scaiecho ? ', policy pinned to backend A' : ''})`, async () => {
      const db = createDb(config.db);
      try {
        const t = await provisionTenant(db, {
          slug: `bench-${runId}`,
          name: `Benchmark ${runId}`,
          tier: 'pro',
          // The poll loop alone makes tens of thousands of requests a minute.
          features: { rate_limits: { tenant_per_minute: 1_000_000_000, key_per_minute: 1_000_000_000 } },
          subject: `bench-user-${runId}`,
          roles: this.opts.roles ?? ['member'],
          keyName: 'benchmark',
        });
        // Only the STT node: no job may silently fall through to the relay.
        if (this.opts.scaiecho) await setPolicy(db, t.tenant.id, { allowedBackends: 'A', defaultBackend: 'A' });
        return t;
      } finally {
        await db.$disconnect();
      }
    });

    const api = this.opts.apiProcess
      ? await this.step('API process listening', () => this.startApiProcess(config, env))
      : await this.step('API listening (in this process)', async () => {
          const a = await startApi(config, { port: 0 });
          this.closeApi = () => a.close();
          if (this.torn) await a.close();
          return a;
        });

    const scaiecho = this.opts.scaiecho;
    const node = !scaiecho
      ? undefined
      : await this.step(`STT node (${scaiecho.nodeEngine ?? 'instant'} engine) registered`, async (): Promise<SttNode> => {
      const nodeId = `bench-stt-${runId}`;
      const grpcPort = await freePort();
      const adminPort = await freePort();
      const proc = startProcess('stt-node', process.execPath, ['--import', 'tsx', sttNodeEntry], {
        cwd: root,
        logDir,
        env: {
          ...process.env,
          SCAIWAVE_LOG_LEVEL: 'info',
          SCAIINFER_NODE_ID: nodeId,
          SCAIINFER_ENGINE: scaiecho.nodeEngine ?? 'instant',
          SCAIINFER_GRPC_PORT: String(grpcPort),
          SCAIINFER_ADMIN_PORT: String(adminPort),
          SCAIINFER_REGISTRY_URL: api.url,
          SCAIINFER_REGISTRY_TOKEN: env.SCAIWAVE_SERVICE_TOKEN!,
          SCAIINFER_HEARTBEAT_MS: '1000',
          SCAIINFER_CAPACITY: String(scaiecho.nodeCapacity),
        },
      });
      await this.track(proc);
      await Promise.race([
        waitUntil(`STT node ${nodeId} registered`, async () =>
          (await api.deps.registry.online(ENGINE_STT)).some((n) => n.nodeId === nodeId),
        ),
        proc.exited.then((code) => {
          throw new Error(`STT node exited with ${code}:\n${tail(proc.logFile)}`);
        }),
      ]);
      return { nodeId, grpcAddress: `127.0.0.1:${grpcPort}`, adminUrl: `http://127.0.0.1:${adminPort}`, logFile: proc.logFile };
    });

    const workerUrl = await this.step('worker process polling (bundles the workflows first)', async () => {
      const port = await freePort();
      const proc = startProcess('worker', process.execPath, [...heapLimit(this.opts.workerHeapMB), '--import', 'tsx', workerEntry], {
        cwd: root,
        logDir,
        env: {
          ...process.env,
          ...env,
          SCAIWAVE_WORKER_PORT: String(port),
          SCAIWAVE_WORKER_SDK_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
        },
      });
      await this.track(proc);
      await Promise.race([
        waitUntil('worker health', async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 120_000),
        proc.exited.then((code) => {
          throw new Error(`worker exited with ${code}:\n${tail(proc.logFile)}`);
        }),
      ]);
      return `http://127.0.0.1:${port}`;
    });

    return {
      runId,
      workDir,
      logDir,
      config,
      env,
      api,
      tenant,
      workerUrl,
      node,
      scaigrid,
      idpUrl: idp.url,
      jwtFor: (subject, tenantSlug) => idpToken(idp.url, subject, tenantSlug),
    };
  }

  /** The API as its own process, and the bench's clients of what it writes to. */
  private async startApiProcess(config: Config, env: Record<string, string>): Promise<BenchApi> {
    const port = await freePort();
    const proc = startProcess('api', process.execPath, ['--import', 'tsx', apiEntry], {
      cwd: root,
      logDir: this.logDir,
      env: { ...process.env, ...env, SCAIWAVE_PORT: String(port) },
    });
    await this.track(proc);
    const url = `http://127.0.0.1:${port}`;
    await Promise.race([
      waitUntil('API health', async () => (await fetch(`${url}/health`)).ok, 120_000),
      proc.exited.then((code) => {
        throw new Error(`API exited with ${code}:\n${tail(proc.logFile)}`);
      }),
    ]);
    const services = createServices(config, createLogger('bench', this.opts.logLevel), 'scaiwave-bench', []);
    const temporal = createTemporalClient(config);
    this.closeApi = async () => {
      await Promise.allSettled([services.close(), temporal.close()]);
    };
    return { url, deps: { db: services.db, temporal: temporal.client, registry: services.registry } };
  }

  /** The processes started for the run, by name: each leads a process group of its own (what it forks included). */
  processGroups(): Record<string, number> {
    return Object.fromEntries(this.procs.flatMap((p) => (p.child.pid === undefined ? [] : [[p.name, p.child.pid]])));
  }

  /** Stops what was started and removes what was created; safe to call twice and after a failed up(). */
  async teardown(opts: { keepWorkDir: boolean }): Promise<void> {
    if (this.torn) return;
    this.torn = true;
    // Stopping what runs makes a start in progress fail fast; what it still brings up, track() stops.
    await Promise.allSettled(this.procs.map((p) => p.stop(5000)));
    await this.upDone?.catch(() => undefined);
    if (this.closeApi) await this.closeApi().catch((err: unknown) => this.opts.say(`  API close failed: ${String(err)}`));
    await Promise.allSettled(this.procs.reverse().map((p) => p.stop(5000)));
    if (this.dataToDrop) await dropData(this.dataToDrop).catch((err: unknown) => this.opts.say(`  cleanup of run data failed: ${String(err)}`));
    await Promise.allSettled(this.systemProcs.reverse().map((p) => p.stop(10_000)));
    if (opts.keepWorkDir) {
      // The logs are what explains a failure; the SeaweedFS volumes are just bulk.
      fs.rmSync(path.join(this.workDir, 'seaweedfs'), { recursive: true, force: true });
    } else {
      fs.rmSync(this.workDir, { recursive: true, force: true });
    }
  }
}

async function dropData(d: { config: Config; dbName: string; redisPrefix: string; natsPrefix: string }): Promise<void> {
  const { db } = d.config;
  const conn = await mariadb.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password });
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${d.dbName}\``);
  } finally {
    await conn.end();
  }

  const redis = new Redis(d.config.env.SCAIWAVE_REDIS_URL, { maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${d.redisPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }

  const nc = await connect({ servers: d.config.env.SCAIWAVE_NATS_URL.replace(/^nats:\/\//, '') });
  try {
    const jsm = await nc.jetstreamManager();
    for await (const s of jsm.streams.list()) {
      if (s.config.name.startsWith(`${d.natsPrefix}_`)) await jsm.streams.delete(s.config.name);
    }
  } finally {
    await nc.close();
  }
}

function idpToken(idpUrl: string, subject: string, tenantSlug: string): Promise<string> {
  return requestDevToken(idpUrl, { sub: subject, tenant: tenantSlug });
}
