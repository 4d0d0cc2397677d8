import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { connect } from 'nats';
import { loadConfig } from '../lib/config.js';
import { applyMigrations } from '../lib/infra/migrate.js';
import { ensureBucket, s3Client, startSeaweed } from '../devstack/seaweed.js';
import { startTemporal } from '../devstack/temporal.js';
import { ensureSystemServices } from '../devstack/system-services.js';
import { startIdpProcess } from '../devstack/idp/process.js';
import { startClamd } from '../devstack/clamd.js';
import { freePort } from '../devstack/ports.js';
import type { ManagedProcess } from '../devstack/process.js';
import mariadb from 'mariadb';

/**
 * One Temporal dev server, one SeaweedFS, one reference IdP and one clamd for the whole run,
 * on free ports; a database, Redis prefix, NATS prefix, bucket and task queue of
 * the run's own, so concurrent runs (and the dev stack) never see each other.
 * Everything reaches the test files through SCAIWAVE_* variables.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `scaiwave-test-${runId}-`));
  const logDir = path.join(work, 'logs');
  const base = loadConfig(process.env);
  const procs: ManagedProcess[] = [];

  procs.push(...(await ensureSystemServices(base, path.join(work, 'services'), logDir)));

  const temporalPort = await freePort();
  const s3Port = await freePort();
  const s3 = { accessKey: 'scaiwave-test', secretKey: randomBytes(12).toString('hex') };
  const clamdPort = await freePort();
  const uiPort = await freePort();
  // The UI decodes through the codec server test/codec-server.test.ts starts on this port.
  const codecPort = await freePort();
  const [temporal, seaweed, idp, clamd] = await Promise.all([
    startTemporal({ port: temporalPort, uiPort, namespace: 'default', logDir, codecEndpoint: `http://127.0.0.1:${codecPort}` }),
    startSeaweed({ s3Port, dataDir: path.join(work, 'seaweedfs'), logDir, ...s3 }),
    startIdpProcess({ port: await freePort(), logDir }),
    startClamd({ port: clamdPort, dataDir: path.join(work, 'clamd'), logDir, streamMaxBytes: 64 * 1024 * 1024 }),
  ]);
  procs.push(temporal, seaweed, idp.process, clamd);

  const dbName = `scaiwave_test_${runId}`;
  const env: Record<string, string> = {
    SCAIWAVE_DB_URL: `mysql://${base.db.user}:${base.db.password}@${base.db.host}:${base.db.port}/${dbName}`,
    SCAIWAVE_REDIS_PREFIX: `scaiwave-test-${runId}:`,
    SCAIWAVE_NATS_PREFIX: `t${runId}`,
    SCAIWAVE_S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
    SCAIWAVE_S3_BUCKET: `scaiwave-test-${runId}`,
    SCAIWAVE_S3_ACCESS_KEY: s3.accessKey,
    SCAIWAVE_S3_SECRET_KEY: s3.secretKey,
    SCAIWAVE_TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    SCAIWAVE_TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}`,
    SCAIWAVE_CODEC_SERVER_PORT: String(codecPort),
    SCAIWAVE_CODEC_CORS_ORIGINS: `http://127.0.0.1:${uiPort}`,
    SCAIWAVE_TEMPORAL_TASK_QUEUE: `scaiwave-test-${runId}`,
    SCAIWAVE_SCAIKEY_URL: idp.url,
    SCAIWAVE_CLAMAV_URL: `tcp://127.0.0.1:${clamdPort}`,
    // No ScaiGrid for the run as a whole (so no worker runs the search feed); the suites that search bring their own.
    SCAIWAVE_SEARCH_DIR: path.join(work, 'search'),
    // Nor the webhook feed: every stack's workers would read every suite's events; test/webhooks.test.ts turns it on for its own.
    SCAIWAVE_WEBHOOKS_FEED: 'false',
    SCAIWAVE_SERVICE_TOKEN: randomBytes(24).toString('hex'),
    SCAIWAVE_CODEC_MASTER_KEYS: `test-${runId}:${randomBytes(32).toString('base64')}`,
    // Every suite calls from 127.0.0.1 and many refuse credentials on purpose, some
    // the same one again and again; the failed-authentication limits are tested with
    // limits and addresses of their own.
    SCAIWAVE_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '1000000',
    SCAIWAVE_RATE_LIMIT_CREDENTIAL_FAILURES_PER_MINUTE: '1000000',
    SCAIWAVE_LOG_LEVEL: process.env.SCAIWAVE_LOG_LEVEL ?? 'warn',
    SCAIWAVE_ACCESS_LOG_LEVEL: process.env.SCAIWAVE_ACCESS_LOG_LEVEL ?? 'warn',
    SCAIWAVE_TEST_LOG_DIR: logDir,
  };
  Object.assign(process.env, env);
  const config = loadConfig(process.env);

  await applyMigrations(config.db);
  const s3c = s3Client(env.SCAIWAVE_S3_ENDPOINT!, s3.accessKey, s3.secretKey);
  await ensureBucket(s3c, env.SCAIWAVE_S3_BUCKET!);
  s3c.destroy();

  return async () => {
    await Promise.allSettled(procs.reverse().map((p) => p.stop(5000)));
    const conn = await mariadb.createConnection({ host: base.db.host, port: base.db.port, user: base.db.user, password: base.db.password });
    await conn.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await conn.end();
    const redis = new Redis(config.env.SCAIWAVE_REDIS_URL);
    const keys = await redis.keys(`${env.SCAIWAVE_REDIS_PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    const nc = await connect({ servers: config.env.SCAIWAVE_NATS_URL.replace(/^nats:\/\//, '') });
    const jsm = await nc.jetstreamManager();
    for (const s of await jsm.streams.list().next()) {
      if (s.config.name.startsWith(`${env.SCAIWAVE_NATS_PREFIX}_`)) await jsm.streams.delete(s.config.name);
    }
    await nc.close();
    fs.rmSync(work, { recursive: true, force: true });
  };
}
