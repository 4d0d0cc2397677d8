import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfigOrExit, type Config } from '../lib/config.js';
import { createDb } from '../lib/infra/db.js';
import { applyMigrations } from '../lib/infra/migrate.js';
import { createTemporalClient } from '../lib/temporal/client.js';
import { provisionTenant } from '../domains/identity/provisioning.js';
import { applySchedules } from '../domains/schedules.js';
import { startClamd } from './clamd.js';
import { seedWave } from './wave-seed.js';
import { startIdpProcess } from './idp/process.js';
import { portOpen, waitUntil } from './ports.js';
import { startProcess, tail, type ManagedProcess } from './process.js';
import { ensureBucket, s3Client, startSeaweed } from './seaweed.js';
import { ensureSystemServices } from './system-services.js';
import { ensureSearchAttributes, startTemporal, temporalAnswers } from './temporal.js';
import { DEV_RELAY_KEY, DEV_SCAIGRID_KEY, startDevNodes, startDevRelay, startDevScaiGrid } from './reference-fleet.js';
import { devstackDir, repoRoot } from './tools.js';

// `npm start`: brings up everything the product needs on this machine, reusing
// whatever already answers, and on Ctrl-C stops exactly what it started.

// The reference ScaiKey started below knows the client `scaiwave` with this dev
// secret; identity sync needs it. A real deployment sets its own.
process.env.SCAIWAVE_SCAIKEY_CLIENT_SECRET ||= 'scaiwave-dev-secret';
// The reference nodes started below register with this token.
process.env.SCAIWAVE_SERVICE_TOKEN ||= 'scaiwave-dev-service-token-change-me';
// On one developer's machine the dev tenant is also the platform operators' own,
// so its admin can look after the reference nodes (GET/DELETE /v1/admin/nodes).
process.env.SCAIWAVE_PLATFORM_TENANT ||= 'dev';
// Media is scanned in development as in production: a clamd started below.
process.env.SCAIWAVE_CLAMAV_URL ||= 'tcp://127.0.0.1:3310';
// Exports signed as in production, so this machine's own bundles import again (an
// import takes only bundles signed by a trusted key): a key made once, kept in .devstack/.
process.env.SCAIWAVE_EXPORT_SIGNING_KEY ||= devSigningKey(path.join(devstackDir, 'export-signing-key.pem'));
// Payloads sealed as in production (lib/codec/), under a master key made once and kept in .devstack/;
// the CLI needs the same (`export SCAIWAVE_CODEC_MASTER_KEYS=$(cat .devstack/codec-master-keys)`).
process.env.SCAIWAVE_CODEC_MASTER_KEYS ||= devMasterKeys(path.join(devstackDir, 'codec-master-keys'));
const config = loadConfigOrExit();

function devMasterKeys(file: string): string {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `dev-1:${randomBytes(32).toString('base64')}`, { mode: 0o600 });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

function devSigningKey(file: string): string {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  }
  return fs.readFileSync(file, 'utf8');
}

const dataDir = path.join(devstackDir, 'data');
const logDir = path.join(devstackDir, 'logs');
const started: ManagedProcess[] = [];
// Well above any media upload the API accepts, so clamd never refuses one unscanned.
const CLAMD_STREAM_MAX_BYTES = 1024 * 1024 * 1024;
const isLocal = (host: string): boolean => ['127.0.0.1', 'localhost', '::1'].includes(host);

async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  process.stdout.write(`==> ${what} … `);
  const result = await fn();
  process.stdout.write(`ok (${Date.now() - t0} ms)\n`);
  return result;
}

async function stopAll(): Promise<void> {
  for (const p of started.splice(0).reverse()) {
    process.stdout.write(`==> stopping ${p.name}\n`);
    await p.stop();
  }
}

async function temporal(c: Config): Promise<string> {
  const address = c.env.SCAIWAVE_TEMPORAL_ADDRESS;
  const namespace = c.env.SCAIWAVE_TEMPORAL_NAMESPACE;
  if (await temporalAnswers(address, namespace).catch(() => false)) {
    await ensureSearchAttributes(address, namespace);
    return 'reused';
  }
  const [host, port] = address.split(':') as [string, string];
  if (!isLocal(host)) throw new Error(`Temporal at ${address} does not answer`);
  started.push(
    await startTemporal({
      port: Number(port),
      uiPort: Number(new URL(c.env.SCAIWAVE_TEMPORAL_UI_URL).port || 8233),
      namespace,
      logDir,
      dbFile: path.join(dataDir, 'temporal.db'),
      codecEndpoint: codecServerUrl(c),
    }),
  );
  return 'started';
}

async function s3(c: Config): Promise<void> {
  const endpoint = new URL(c.env.SCAIWAVE_S3_ENDPOINT);
  const port = Number(endpoint.port || 80);
  if (!(await portOpen(endpoint.hostname, port))) {
    if (!isLocal(endpoint.hostname)) throw new Error(`S3 at ${endpoint.origin} does not answer`);
    started.push(
      await startSeaweed({
        s3Port: port,
        dataDir: path.join(dataDir, 'seaweedfs'),
        logDir,
        accessKey: c.env.SCAIWAVE_S3_ACCESS_KEY,
        secretKey: c.env.SCAIWAVE_S3_SECRET_KEY,
      }),
    );
  }
  const client = s3Client(endpoint.origin, c.env.SCAIWAVE_S3_ACCESS_KEY, c.env.SCAIWAVE_S3_SECRET_KEY, c.env.SCAIWAVE_S3_REGION);
  try {
    await ensureBucket(client, c.env.SCAIWAVE_S3_BUCKET);
  } finally {
    client.destroy();
  }
}

async function idp(c: Config): Promise<void> {
  const url = new URL(c.env.SCAIWAVE_SCAIKEY_URL);
  if (await portOpen(url.hostname, Number(url.port || 80))) return;
  if (!isLocal(url.hostname)) throw new Error(`ScaiKey at ${url.origin} does not answer`);
  const { process: proc } = await startIdpProcess({ port: Number(url.port || 80), logDir, dataDir: path.join(dataDir, 'scaikey-idp') });
  started.push(proc);
}

async function clamd(c: Config): Promise<void> {
  if (!c.env.SCAIWAVE_CLAMAV_URL) return;
  const url = new URL(c.env.SCAIWAVE_CLAMAV_URL);
  const port = Number(url.port || 3310);
  if (await portOpen(url.hostname, port)) return;
  if (!isLocal(url.hostname)) throw new Error(`clamd at ${url.host} does not answer`);
  started.push(await startClamd({ port, dataDir: path.join(dataDir, 'clamd'), logDir, streamMaxBytes: CLAMD_STREAM_MAX_BYTES }));
}

/** On an empty database: a `dev` tenant with an admin and a key, so the API can be called at once. */
async function devTenant(c: Config): Promise<string | undefined> {
  const db = createDb(c.db);
  try {
    if ((await db.tenant.count()) > 0) return undefined;
    const p = await provisionTenant(db, {
      slug: 'dev',
      name: 'Development',
      tier: 'enterprise',
      subject: 'dev-admin',
      email: 'dev-admin@localhost',
      roles: ['admin', 'platform-operator'],
      keyName: 'dev stack',
      // Local: identity sync never deactivates it, so the printed key keeps working whatever the directory holds.
      source: 'local',
    });
    const keyFile = path.join(devstackDir, 'dev-api-key');
    fs.writeFileSync(keyFile, `${p.apiKey.key}\n`, { mode: 0o600 });
    return p.apiKey.key;
  } finally {
    await db.$disconnect();
  }
}

/** `scaiwave schedules apply`: accounting flush, identity sync and retention run from here on. */
async function schedules(c: Config): Promise<void> {
  const temporal = createTemporalClient(c);
  try {
    await applySchedules(temporal.client, c.env);
  } finally {
    await temporal.close();
  }
}

const codecServerUrl = (c: Config): string => `http://127.0.0.1:${c.env.SCAIWAVE_CODEC_SERVER_PORT}`;

/** Runs the compiled entry (scripts/stack-up.sh builds dist/ first), as the production image does. */
async function serve(name: 'worker' | 'api' | 'codec-server', entry: string, healthUrl: string, args: string[] = []): Promise<void> {
  const proc = startProcess(name, process.execPath, [path.join(repoRoot, 'dist', entry), ...args], {
    logDir,
    cwd: repoRoot,
    echo: true,
    env: { ...process.env, SCAIWAVE_WORKFLOW_BUNDLE: path.join(repoRoot, 'dist', 'workflow-bundle.js') },
  });
  started.push(proc);
  await Promise.race([
    waitUntil(`${name} at ${healthUrl}`, async () => (await fetch(healthUrl, { signal: AbortSignal.timeout(3000) })).ok, 120_000),
    proc.exited.then((code) => {
      throw new Error(`${name} exited with ${code}:\n${tail(proc.logFile)}`);
    }),
  ]);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void stopAll().then(() => process.exit(0));
  });
}

try {
  const e = config.env;
  const apiPort = e.SCAIWAVE_PORT;
  if (await portOpen('127.0.0.1', apiPort)) {
    throw new Error(`port ${apiPort} is taken: is the stack already running? (set SCAIWAVE_PORT to use another)`);
  }
  fs.mkdirSync(dataDir, { recursive: true });
  await step('MariaDB, Redis, NATS', async () => started.push(...(await ensureSystemServices(config, dataDir, logDir))));
  await step('Temporal dev server', () => temporal(config));
  await step('S3 (SeaweedFS)', () => s3(config));
  await step('migrations', () => applyMigrations(config.db));
  await step('reference ScaiKey IdP', () => idp(config));
  await step('clamd (media scanning)', () => clamd(config));
  const key = await step('dev tenant', () => devTenant(config));
  if (!e.SCAIWAVE_SCAIECHO_RELAY_URL) {
    // Set before the worker and the API start, so both see backend B.
    await step('reference STT relay', async () => {
      const relay = await startDevRelay(logDir);
      started.push(relay.process);
      process.env.SCAIWAVE_SCAIECHO_RELAY_URL = relay.url;
      process.env.SCAIWAVE_SCAIECHO_RELAY_API_KEY = DEV_RELAY_KEY;
    });
  }
  if (!e.SCAIWAVE_SCAIGRID_URL) {
    // Set before the worker and the API start, so both embed through it.
    await step('reference ScaiGrid (embeddings, all-MiniLM-L6-v2)', async () => {
      const grid = await startDevScaiGrid(logDir, e.SCAIWAVE_AI_EMBEDDING_MODEL, { url: e.SCAIWAVE_SCAIKEY_URL, audience: e.SCAIWAVE_SCAIKEY_CLIENT_ID });
      started.push(grid.process);
      process.env.SCAIWAVE_SCAIGRID_URL = grid.url;
      process.env.SCAIWAVE_SCAIGRID_API_KEY = DEV_SCAIGRID_KEY;
    });
  }
  await step('worker', () => serve('worker', 'worker/main.js', `http://127.0.0.1:${e.SCAIWAVE_WORKER_PORT}/health`));
  await step('API', () => serve('api', 'api/main.js', `http://127.0.0.1:${apiPort}/health`));
  const api = `http://127.0.0.1:${apiPort}`;
  const wave = key ? await step('ScaiWave welcome workspace (two rooms, a few messages)', () => seedWave(api, key)) : undefined;
  await step('reference ScaiInfer nodes (1 STT, 2 diarization)', async () =>
    started.push(
      ...(await startDevNodes({ apiUrl: `http://127.0.0.1:${apiPort}`, serviceToken: e.SCAIWAVE_SERVICE_TOKEN!, logDir })),
    ),
  );
  await step('schedules (accounting flush, identity sync, retention)', () => schedules(config));
  const codec = codecServerUrl(config);
  await step('codec server (sealed payloads in the Temporal UI)', () => serve('codec-server', 'cli/main.js', `${codec}/health`, ['codec-server']));

  const shownKey = key ?? `(created earlier: see ${path.relative(repoRoot, path.join(devstackDir, 'dev-api-key'))})`;
  process.stdout.write(
    [
      '',
      'scaiwave is up',
      `  API          ${api}   (health: ${api}/health, metrics: ${api}/metrics)`,
      `  Temporal UI  ${e.SCAIWAVE_TEMPORAL_UI_URL}/namespaces/${e.SCAIWAVE_TEMPORAL_NAMESPACE}/workflows`,
      `  Temporal     ${e.SCAIWAVE_TEMPORAL_ADDRESS} (namespace ${e.SCAIWAVE_TEMPORAL_NAMESPACE})`,
      `  codec server ${codec}   payloads are sealed; to read them in the UI, sign in at ${codec} with the dev API key,`,
      `               then in the UI's data encoder settings set the Remote Codec Endpoint to ${codec}`,
      `               and turn on "Include cross-origin credentials"`,
      `  CLI          export SCAIWAVE_CODEC_MASTER_KEYS=$(cat ${path.relative(repoRoot, path.join(devstackDir, 'codec-master-keys'))})   (the CLI seals payloads too)`,
      `  ScaiKey      ${e.SCAIWAVE_SCAIKEY_URL}`,
      `  ScaiGrid     ${process.env.SCAIWAVE_SCAIGRID_URL}/oai/v1   (embeddings model ${e.SCAIWAVE_AI_EMBEDDING_MODEL})`,
      `  dev API key  ${shownKey}`,
      `  try: curl -H "Authorization: Bearer ${key ?? '<key>'}" ${api}/v1/me`,
      `       curl -H "Authorization: Bearer ${key ?? '<key>'}" ${api}/v1/wave/workspaces`,
      ...(wave ? [`       curl -H "Authorization: Bearer ${key}" ${api}/v1/wave/rooms/${wave.roomIds[0]}/messages`] : []),
      `  API docs     ${api}/docs`,
      `  logs: ${path.relative(repoRoot, logDir)}/   Ctrl-C stops what this started.`,
      '',
    ].join('\n'),
  );
} catch (err) {
  process.stdout.write('failed\n');
  process.stderr.write(`scaiwave: ${(err as Error).message}\n`);
  await stopAll();
  process.exit(1);
}
