import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../api/server.js';
import { eicarTestFile } from '../devstack/clamd.js';
import { waitUntil } from '../devstack/ports.js';
import { createApiKey } from '../lib/auth/api-keys.js';
import { loadConfig } from '../lib/config.js';
import { exportStagingPrefix } from '../domains/export/export-keys.js';
import { BUNDLE_PATHS, manifestSchema, type Manifest, type MessageRecord, type WarningRecord } from '../domains/export/format.js';
import { manifestHashMismatch } from '../domains/export/manifest.js';
import { keyFingerprint } from '../lib/ed25519-keys.js';
import { verifyBundle } from '../domains/export/verify.js';
import type { Db } from '../lib/infra/db.js';
import { newId } from '../lib/infra/ids.js';
import { createS3 } from '../lib/infra/s3.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { createUser } from '../lib/tenancy/users.js';
import { mediaObjectKey } from '../domains/wave/media.js';
import { runScaiwave } from './support/cli.js';
import { captureHistory } from './support/histories.js';
import { startIsolatedStack, type IsolatedStack } from './support/isolated-stack.js';
import { startWorkerProcess } from './support/processes.js';
import { call, newTenant, uniq } from './support/stack.js';
import { exportProgressQuery, type ExportProgress } from '../domains/export/workflows/room-export.js';

// Compliance exports end to end: asked for through the API by a compliance
// officer, run by a worker process, read back from the download URL as a tar
// whose manifest and files are checked here byte for byte. The suite has its
// own database and task queue; its worker is killed mid-export to show the
// export resumes with exactly the room's messages, and without re-making the
// parts S3 already holds.

interface ExportView {
  id: string;
  status: string;
  progress: { percent: number; messages_total: number; messages_done: number; bundle_bytes: number | null };
  warnings: number | null;
  manifest_sha256: string | null;
  download_url: string | null;
  error: string | null;
}

interface Bundle {
  raw: Buffer;
  order: string[];
  files: Map<string, Buffer>;
  manifest: Manifest;
}

async function readBundle(bytes: Buffer): Promise<Bundle> {
  const files = new Map<string, Buffer>();
  const order: string[] = [];
  const x = extract();
  const done = new Promise<void>((resolve, reject) => {
    x.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', () => {
        order.push(header.name);
        files.set(header.name, Buffer.concat(chunks));
        next();
      });
    });
    x.on('finish', resolve);
    x.on('error', reject);
  });
  Readable.from([bytes]).pipe(x);
  await done;
  return { raw: bytes, order, files, manifest: manifestSchema.parse(JSON.parse(files.get(BUNDLE_PATHS.manifest)!.toString('utf8'))) };
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const messagesOf = (b: Bundle): MessageRecord[] =>
  b.order
    .filter((p) => p.startsWith('messages/'))
    .flatMap((p) => gunzipSync(b.files.get(p)!).toString('utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as MessageRecord);

describe('ScaiWave compliance export: a verifiable bundle of a room, resumable after a crash', () => {
  const base = loadConfig(process.env);
  let stack: IsolatedStack;
  let env: Record<string, string>;
  let db: Db;
  let api: RunningApi;
  let temporal: IsolatedStack['temporal'];
  const s3 = createS3(base);
  const bucket = base.env.SCAIWAVE_S3_BUCKET;
  let t: Provisioned;
  const key = { alice: '', bob: '', carol: '', eve: '' };
  let workspaceId: string;
  // The deployment signs its bundles; a recipient pins this public key.
  const signing = generateKeyPairSync('ed25519');
  const publicKey = signing.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-export-'));

  beforeAll(async () => {
    stack = await startIsolatedStack('export', { SCAIWAVE_EXPORT_SIGNING_KEY: signing.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() });
    ({ env, db, api, temporal } = stack);
    t = await newTenant(db, { roles: ['admin'] });
    key.alice = t.apiKey.key;
    const bob = await createUser(db, { tenantId: t.tenant.id, subject: uniq('bob'), roles: ['member'] });
    key.bob = (await createApiKey(db, { tenantId: t.tenant.id, userId: bob.id, name: 'bob' })).key;
    const carol = await createUser(db, { tenantId: t.tenant.id, subject: uniq('carol'), roles: ['compliance'] });
    key.carol = (await createApiKey(db, { tenantId: t.tenant.id, userId: carol.id, name: 'carol' })).key;
    key.eve = (await newTenant(db, { roles: ['admin', 'compliance'] })).apiKey.key;
    workspaceId = (await as<{ id: string }>('alice', 'POST', '/workspaces', { slug: uniq('ws'), name: 'Exports' })).body.data!.id;
  }, 300_000);

  afterAll(async () => {
    await stack?.close();
    s3.destroy();
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  const as = <T,>(who: keyof typeof key, method: string, p: string, json?: unknown) => call<T>(api.url, method, `/v1/wave${p}`, { token: key[who], json });
  const newRoom = async (name: string): Promise<string> => (await as<{ id: string }>('alice', 'POST', `/workspaces/${workspaceId}/rooms`, { kind: 'channel', name })).body.data!.id;
  const post = async (roomId: string, body: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const res = await as<{ id: string }>('alice', 'POST', `/rooms/${roomId}/messages`, { body, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.data!.id;
  };
  const startExport = async (roomId: string, range: Record<string, string> = {}): Promise<string> => {
    const res = await as<ExportView>('carol', 'POST', `/rooms/${roomId}/exports`, range);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.data!.id;
  };
  const finished = async (exportId: string): Promise<ExportView> => {
    let view: ExportView | undefined;
    await waitUntil('export finished', async () => {
      view = (await as<ExportView>('carol', 'GET', `/exports/${exportId}`)).body.data!;
      return view.status !== 'running';
    }, 600_000);
    return view!;
  };
  const download = async (view: ExportView): Promise<Bundle> => {
    expect(view.status, view.error ?? '').toBe('completed');
    const res = await fetch(view.download_url!);
    expect(res.status).toBe(200);
    return readBundle(Buffer.from(await res.arrayBuffer()));
  };
  async function upload(roomId: string, bytes: Buffer, filename: string): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([bytes]), filename);
    const res = await call<{ id: string }>(api.url, 'POST', `/v1/wave/rooms/${roomId}/media`, { token: key.alice, body: form });
    expect([201, 202], JSON.stringify(res.body)).toContain(res.status);
    return res.body.data!.id;
  }
  const scanned = (mediaId: string) =>
    waitUntil('media scanned', async () => (await db.waveMedia.findUniqueOrThrow({ where: { id: mediaId } })).scanStatus !== 'pending_scan', 120_000);

  /** Bulk rows straight into MariaDB: a room far bigger than a test can post through the API, with many messages sharing a created_at. */
  async function seedMessages(roomId: string, count: number): Promise<string[]> {
    const authorId = t.user.id;
    const start = Date.now() - 3_600_000;
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1000) {
      const rows = Array.from({ length: Math.min(1000, count - i) }, (_, j) => {
        const n = i + j;
        const id = newId();
        ids.push(id);
        // Seven messages per millisecond: ties the keyset must order by id.
        return { id, tenantId: t.tenant.id, roomId, seq: BigInt(n + 1), authorId, body: `seeded message ${n}`, mentions: [], createdAt: new Date(start + Math.floor(n / 7)) };
      });
      await db.waveMessage.createMany({ data: rows });
    }
    await db.waveRoom.update({ where: { id: roomId }, data: { lastSeq: BigInt(count) } });
    return ids;
  }

  async function seedMedia(roomId: string, bytes: Buffer, fileName: string): Promise<string> {
    const id = newId();
    const objectKey = mediaObjectKey(t.tenant.id, id);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: bytes, ContentLength: bytes.length }));
    await db.waveMedia.create({
      data: { id, tenantId: t.tenant.id, roomId, ownerId: t.user.id, objectKey, fileName, bytes: bytes.length, sha256: sha256(bytes), contentType: 'application/octet-stream', scanStatus: 'clean' },
    });
    return id;
  }

  const stagedLeft = async (exportId: string): Promise<number> =>
    (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: exportStagingPrefix(t.tenant.id, exportId) }))).KeyCount ?? 0;
  const bundleThere = (objectKey: string) =>
    s3.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey })).then(
      () => true,
      () => false,
    );

  it('a room with edits, deletions, reactions, a thread and media: every file hashed in the manifest, left-out media in warnings.json', async () => {
    const roomId = await newRoom('audit');
    expect((await as('bob', 'POST', `/rooms/${roomId}/join`)).status).toBe(200);
    const first = await post(roomId, 'first draft');
    expect((await as('alice', 'PATCH', `/rooms/${roomId}/messages/${first}`, { body: 'second draft' })).status).toBe(200);
    expect((await as('alice', 'PATCH', `/rooms/${roomId}/messages/${first}`, { body: 'final text' })).status).toBe(200);
    const reply = await post(roomId, 'a reply in the thread', { thread_parent_id: first });
    const gone = await post(roomId, 'said in haste');
    expect((await as('alice', 'DELETE', `/rooms/${roomId}/messages/${gone}`)).status).toBe(200);
    expect((await as('bob', 'PUT', `/rooms/${roomId}/messages/${first}/reactions/${encodeURIComponent('👍')}`)).status).toBe(200);

    const photo = randomBytes(3000);
    const clean = await upload(roomId, photo, 'plan:β.bin');
    const infected = await upload(roomId, eicarTestFile(), 'eicar.com');
    const vanished = await upload(roomId, randomBytes(100), 'vanished.bin');
    await Promise.all([scanned(clean), scanned(infected), scanned(vanished)]);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: mediaObjectKey(t.tenant.id, vanished) }));

    const exportId = await startExport(roomId);
    const view = await finished(exportId);
    const bundle = await download(view);
    await captureHistory('waveRoomExportWorkflow--completed', temporal.client.workflow.getHandle(workflowIds.waveRoomExport(exportId)));

    // What a recipient runs: every checksum, and the signature by the key they were given.
    const check = await verifyBundle(Readable.from([bundle.raw]), { publicKey });
    expect(check.problems).toEqual([]);
    expect(check.signer?.fingerprint).toBe(keyFingerprint(Buffer.from(publicKey, 'base64')));
    // One byte changed in the messages, and verification names the file.
    const chunk = bundle.raw.indexOf(bundle.files.get('messages/000001.jsonl.gz')!);
    const tampered = Buffer.from(bundle.raw);
    tampered[chunk + 20]! ^= 0x01;
    const refused = await verifyBundle(Readable.from([tampered]), { publicKey });
    expect(refused.ok).toBe(false);
    expect(refused.problems.map((p) => p.path)).toEqual(['messages/000001.jsonl.gz']);

    // The manifest comes first, seals itself, and lists every other file with its size and hash.
    expect(bundle.order[0]).toBe(BUNDLE_PATHS.manifest);
    expect(bundle.order[1]).toBe(BUNDLE_PATHS.signature);
    expect(manifestHashMismatch(bundle.manifest)).toBeNull();
    expect(view.manifest_sha256).toBe(bundle.manifest.manifestSha256);
    expect(bundle.manifest.files.map((f) => f.path)).toEqual(bundle.order.slice(2));
    for (const f of bundle.manifest.files) {
      expect(bundle.files.get(f.path)!.length, f.path).toBe(f.bytes);
      expect(sha256(bundle.files.get(f.path)!), f.path).toBe(f.sha256);
    }
    expect(bundle.manifest.room.id).toBe(roomId);
    expect(bundle.manifest.exporter.kind).toBe('user');
    expect(bundle.manifest.counts).toMatchObject({ messages: 3, revisions: 2, tombstones: 1, reactions: 1, media: 3, mediaIncluded: 1, warnings: 2 });

    // Messages in time order, each edit's earlier text kept, the deletion a tombstone without its text.
    const messages = messagesOf(bundle);
    expect(messages.map((m) => m.id)).toEqual([first, reply, gone]);
    expect(messages[0]).toMatchObject({ body: 'final text', revisions: [{ body: 'first draft' }, { body: 'second draft' }] });
    expect(messages[0]!.reactions).toMatchObject([{ emoji: '👍' }]);
    expect(messages[1]!.threadParentId).toBe(first);
    expect(messages[2]).toMatchObject({ body: null, deleted: { byId: t.user.id } });

    // The clean file is in the bundle byte for byte; the infected and the vanished one are accounted for.
    const mediaPath = bundle.manifest.files.find((f) => f.path.startsWith(`media/${clean}/`))!.path;
    expect(mediaPath).toBe(`media/${clean}/plan_β.bin`);
    expect(bundle.files.get(mediaPath)).toEqual(photo);
    const warnings = JSON.parse(bundle.files.get(BUNDLE_PATHS.warnings)!.toString('utf8')) as WarningRecord[];
    expect(warnings.map((w) => [w.mediaId, w.code]).sort()).toEqual(
      [
        [infected, 'media_infected'],
        [vanished, 'media_missing'],
      ].sort(),
    );
    const room = JSON.parse(bundle.files.get(BUNDLE_PATHS.room)!.toString('utf8')) as { members: { userId: string }[]; users: { subject: string }[] };
    expect(room.members).toHaveLength(2);
    expect(room.users.map((u) => u.subject)).toContain(t.user.scaikeySubject);
    expect(await stagedLeft(exportId)).toBe(0);
  }, 300_000);

  it('scaiwave room export: starts it, waits, downloads and verifies the bundle; export verify agrees offline', async () => {
    const roomId = await newRoom('operator');
    await post(roomId, 'for the record');
    const out = path.join(outDir, 'operator.tar');
    const cli = await runScaiwave(['room', 'export', roomId, '--out', out, '--json'], env, 600_000);
    expect(cli.code, cli.stderr).toBe(0);
    const result = JSON.parse(cli.stdout) as { exportId: string; messages: number; verified: { files: number; signedBy: string } };
    expect(result).toMatchObject({ messages: 1, verified: { signedBy: keyFingerprint(Buffer.from(publicKey, 'base64')) } });
    const row = await db.waveExport.findUniqueOrThrow({ where: { id: result.exportId } });
    expect(row).toMatchObject({ status: 'completed', requestedById: null, kind: 'on_demand' });
    const manifest = (await readBundle(fs.readFileSync(out))).manifest;
    expect(manifest.exporter).toEqual({ kind: 'operator', userId: null, subject: null });
    const verify = await runScaiwave(['export', 'verify', out, '--public-key', publicKey], {});
    expect(verify.code, verify.stderr).toBe(0);
  }, 600_000);

  it('only compliance officers and admins export; another tenant\'s room does not exist; a range must make sense', async () => {
    const roomId = await newRoom('guarded');
    expect((await as('bob', 'POST', `/rooms/${roomId}/exports`, {})).status).toBe(403);
    expect((await as('eve', 'POST', `/rooms/${roomId}/exports`, {})).status).toBe(404);
    const backwards = await as('carol', 'POST', `/rooms/${roomId}/exports`, { since: '2026-12-02T10:00:00Z', until: '2026-12-01T10:00:00Z' });
    expect(backwards.status).toBe(400);
    const exportId = await startExport(roomId);
    expect((await as('eve', 'GET', `/exports/${exportId}`)).status).toBe(404);
    expect((await as('bob', 'GET', `/exports/${exportId}`)).status).toBe(403);
    expect(await db.waveExport.count({ where: { roomId } })).toBe(1);
    await finished(exportId);
  }, 300_000);

  it('a worker killed mid-export: the run resumes and the bundle holds exactly the room\'s messages, without re-making parts S3 holds', async () => {
    const roomId = await newRoom('big');
    const ids = await seedMessages(roomId, 25_003);
    await seedMedia(roomId, randomBytes(20 * 1024 * 1024), 'recording.bin');

    await stack.worker!.proc.stop(5000);
    // Dies once the first batch of message chunks is staged, before Temporal hears of it.
    let crashing = await startWorkerProcess({ ...env, CRASH_AT: 'exportMessages:after' }, 'test/support/crash-worker.ts');
    const exportId = await startExport(roomId);
    expect(await crashing.proc.exited).toBe(128);
    // Then once every part is uploaded, before the upload is reported.
    crashing = await startWorkerProcess({ ...env, CRASH_AT: 'uploadExportParts:after' }, 'test/support/crash-worker.ts');
    expect(await crashing.proc.exited).toBe(128);
    stack.worker = await startWorkerProcess(env);

    const view = await finished(exportId);
    const bundle = await download(view);
    const exported = messagesOf(bundle).map((m) => m.id);
    expect(exported).toHaveLength(ids.length);
    expect(new Set(exported).size).toBe(ids.length);
    expect([...exported].sort()).toEqual([...ids].sort());
    expect(bundle.manifest.counts.messages).toBe(ids.length);
    expect(bundle.order.filter((p) => p.startsWith('messages/'))).toEqual(['messages/000001.jsonl.gz', 'messages/000002.jsonl.gz', 'messages/000003.jsonl.gz']);

    const progress: ExportProgress = await temporal.client.workflow.getHandle(workflowIds.waveRoomExport(exportId)).query(exportProgressQuery);
    expect(view.progress.bundle_bytes).toBeGreaterThan(16 * 1024 * 1024);
    expect(progress.partsMade).toBe(0);
    expect(progress.percent).toBe(100);
  }, 900_000);

  it('cancelled: its upload aborted and its staged files deleted, nothing at the bundle key', async () => {
    const roomId = await newRoom('cancelled');
    await seedMessages(roomId, 12_000);
    await stack.worker!.proc.stop(5000);
    // Stops after the messages are staged, so there is something to clean up.
    const crashing = await startWorkerProcess({ ...env, CRASH_AT: 'exportMedia:before' }, 'test/support/crash-worker.ts');
    const exportId = await startExport(roomId);
    expect(await crashing.proc.exited).toBe(128);
    expect(await stagedLeft(exportId)).toBeGreaterThan(0);
    expect((await as('carol', 'DELETE', `/exports/${exportId}`)).status).toBe(202);
    stack.worker = await startWorkerProcess(env);
    const view = await finished(exportId);
    expect(view.status).toBe('cancelled');
    expect(view.download_url).toBeNull();
    expect(await stagedLeft(exportId)).toBe(0);
    const row = await db.waveExport.findUniqueOrThrow({ where: { id: exportId } });
    expect(await bundleThere(row.objectKey)).toBe(false);
    expect((await as('carol', 'DELETE', `/exports/${exportId}`)).status).toBe(409);
  }, 600_000);
});
