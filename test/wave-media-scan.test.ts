import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EICAR_SIGNATURE, eicarTestFile, startClamd } from '../devstack/clamd.js';
import { freePort, waitUntil } from '../devstack/ports.js';
import type { ManagedProcess } from '../devstack/process.js';
import { createLogger } from '../lib/infra/logger.js';
import { createS3 } from '../lib/infra/s3.js';
import { createTemporalClient } from '../lib/temporal/client.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { captureHistory } from './support/histories.js';
import { callerFor, TINY_PNG } from './support/wave.js';
import { mediaObjectKey, quarantineKey, servableMedia, storeMedia } from '../domains/wave/media.js';
import { startMediaScan } from '../domains/wave/client.js';
import { createRoom } from '../domains/wave/rooms.js';
import { createWorkspace } from '../domains/wave/workspaces.js';
import { writeWorkflowBundle } from '../worker/bundle.js';
import { startWorkerProcess, type WorkerProcess } from './support/processes.js';
import { newTenant, testConfig, testDb, uniq } from './support/stack.js';

// Uploaded media is scanned by a real clamd before anyone may download it:
// the workflow wave-media-scan-{mediaId}, on a task queue and clamd of this
// suite's own, so clamd can be stopped and a worker killed mid-scan.

describe('media virus scanning', () => {
  const db = testDb();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-media-'));
  const queue = uniq('wave-media');
  let clamdPort: number;
  let clamd: ManagedProcess;
  let env: Record<string, string>;
  let worker: WorkerProcess;
  let t: Provisioned;
  let roomId: string;
  const config = testConfig();
  const s3 = createS3(config);
  const { client: temporal, close: closeTemporal } = createTemporalClient(config);
  const logger = createLogger('wave-media-test', 'warn');
  // Events are relayed by the API processes of the run; this suite reads the outbox itself.
  const deps = { db, s3, config, logger, outbox: { wake: () => undefined } };
  const bucket = config.env.SCAIWAVE_S3_BUCKET;

  const startOwnClamd = () => startClamd({ port: clamdPort, dataDir: path.join(dir, 'clamd'), logDir: path.join(dir, 'logs'), streamMaxBytes: 16 * 1024 * 1024 });

  beforeAll(async () => {
    clamdPort = await freePort();
    clamd = await startOwnClamd();
    const bundle = path.join(dir, 'workflows.js');
    await writeWorkflowBundle(bundle);
    env = { SCAIWAVE_TEMPORAL_TASK_QUEUE: queue, SCAIWAVE_WORKFLOW_BUNDLE: bundle, SCAIWAVE_CLAMAV_URL: `tcp://127.0.0.1:${clamdPort}` };
    worker = await startWorkerProcess(env);
    t = await newTenant(db);
    const caller = await callerFor(db, t);
    const ws = await createWorkspace(db, caller.tenantId, caller.userId, { slug: uniq('ws'), name: 'Media' });
    roomId = (await createRoom(deps, caller, ws.id, { kind: 'channel', name: 'uploads' })).id;
  }, 240_000);
  afterAll(async () => {
    await worker?.proc.stop(5000);
    await clamd?.stop();
    await closeTemporal();
    s3.destroy();
    await db.$disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function upload(bytes: Buffer, filename: string) {
    const file = path.join(dir, uniq('upload'));
    fs.writeFileSync(file, bytes);
    const caller = await callerFor(db, t);
    const media = await storeMedia(deps, caller, roomId, {
      path: file,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      filename,
    });
    return { media, start: (taskQueue = queue) => startMediaScan(starterOn(taskQueue), { tenantId: t.tenant.id, tenantSlug: t.tenant.slug }, media.id) };
  }
  const starterOn = (taskQueue: string) => ({ temporal, config: { ...config, env: { ...config.env, SCAIWAVE_TEMPORAL_TASK_QUEUE: taskQueue } } });
  const result = (mediaId: string) => temporal.workflow.getHandle(workflowIds.waveMediaScan(mediaId)).result();
  const exists = (key: string) =>
    s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      () => true,
      () => false,
    );

  it('the EICAR test file: infected, moved to quarantine, never downloadable', async () => {
    const { media, start } = await upload(eicarTestFile(), 'eicar.com');
    expect(media.scanStatus).toBe('pending_scan');
    await start();
    expect(await result(media.id)).toEqual({ status: 'infected' });
    await captureHistory('waveMediaScanWorkflow--infected', temporal.workflow.getHandle(workflowIds.waveMediaScan(media.id)));

    const row = await db.waveMedia.findUniqueOrThrow({ where: { id: media.id } });
    expect(row).toMatchObject({ scanStatus: 'infected', scanSignature: `${EICAR_SIGNATURE}.UNOFFICIAL` });
    expect(row.objectKey).toBe(quarantineKey(mediaObjectKey(t.tenant.id, media.id)));
    expect(await exists(mediaObjectKey(t.tenant.id, media.id))).toBe(false);
    expect(await exists(row.objectKey)).toBe(true);
    await expect(servableMedia(deps, await callerFor(db, t), media.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('a clean file: typed from its bytes, not its name, then downloadable and announced to the room', async () => {
    const { media, start } = await upload(TINY_PNG, 'holiday.exe');
    expect(media.contentType).toBe('image/png');
    await start();
    expect(await result(media.id)).toEqual({ status: 'clean' });
    const served = await servableMedia(deps, await callerFor(db, t), media.id);
    const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: served.objectKey }));
    expect(Buffer.from(await body.Body!.transformToByteArray())).toEqual(TINY_PNG);
    const announced = await db.waveOutbox.findMany({ where: { roomId, subject: { endsWith: '.media.clean' } } });
    expect(announced.filter((e) => (e.payload as { mediaId?: string }).mediaId === media.id)).toHaveLength(1);
  });

  it('clamd down: the media waits, unavailable, and is scanned once clamd is back', async () => {
    await clamd.stop();
    const { media, start } = await upload(TINY_PNG, 'later.png');
    await start();
    const handle = temporal.workflow.getHandle(workflowIds.waveMediaScan(media.id));
    await waitUntil('a failed scan attempt', async () => ((await handle.describe()).raw.pendingActivities?.[0]?.attempt ?? 0) >= 2);
    await expect(servableMedia(deps, await callerFor(db, t), media.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await db.waveMedia.findUniqueOrThrow({ where: { id: media.id } })).scanStatus).toBe('pending_scan');

    clamd = await startOwnClamd();
    expect(await result(media.id)).toEqual({ status: 'clean' });
    await captureHistory('waveMediaScanWorkflow--clamd-waited', handle);
  }, 180_000);

  it('clamd killed while an object streams to it: the media stays unavailable and is scanned whole once clamd is back', async () => {
    // Larger than the loopback socket buffers, so a frozen clamd leaves the stream part-way.
    const { media, start } = await upload(randomBytes(12 * 1024 * 1024), 'large.bin');
    // Frozen, clamd's socket still accepts (the kernel's backlog) but reads nothing: the scan stalls mid-object.
    process.kill(-clamd.child.pid!, 'SIGSTOP');
    await start();
    const handle = temporal.workflow.getHandle(workflowIds.waveMediaScan(media.id));
    // The activity heartbeats only as bytes go out: a heartbeat means clamd has part of the object.
    await waitUntil('part of the object sent', async () => (await handle.describe()).raw.pendingActivities?.[0]?.lastHeartbeatTime != null);
    await clamd.stop(0);
    await waitUntil('the interrupted scan failed', async () => ((await handle.describe()).raw.pendingActivities?.[0]?.attempt ?? 0) >= 2);
    await expect(servableMedia(deps, await callerFor(db, t), media.id)).rejects.toMatchObject({ code: 'CONFLICT' });

    clamd = await startOwnClamd();
    expect(await result(media.id)).toEqual({ status: 'clean' });
    expect((await db.waveMedia.findUniqueOrThrow({ where: { id: media.id } })).scanStatus).toBe('clean');
  }, 180_000);

  it.each(['scanWaveMedia', 'settleWaveMediaScan'] as const)('a worker killed after %s did its work: the scan finishes once', async (step) => {
    const crashQueue = uniq('wave-media-crash');
    const crashEnv = { ...env, SCAIWAVE_TEMPORAL_TASK_QUEUE: crashQueue };
    const { media, start } = await upload(TINY_PNG, 'crash.png');
    const crasher = await startWorkerProcess({ ...crashEnv, CRASH_AT: `${step}:after` }, 'test/support/crash-worker.ts');
    await start(crashQueue);
    expect(await crasher.proc.exited).toBe(128);
    const rescuer = await startWorkerProcess(crashEnv);
    try {
      expect(await result(media.id)).toEqual({ status: 'clean' });
    } finally {
      await rescuer.proc.stop(5000);
    }
    const announced = await db.waveOutbox.findMany({ where: { roomId, subject: { endsWith: '.media.clean' } } });
    expect(announced.filter((e) => (e.payload as { mediaId?: string }).mediaId === media.id)).toHaveLength(1);
    if (step === 'settleWaveMediaScan') await captureHistory('waveMediaScanWorkflow--worker-killed', temporal.workflow.getHandle(workflowIds.waveMediaScan(media.id)));
  }, 180_000);
});
