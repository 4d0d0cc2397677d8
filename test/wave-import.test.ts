import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { waitUntil } from '../devstack/ports.js';
import { createApiKey } from '../lib/auth/api-keys.js';
import { loadConfig, type Config } from '../lib/config.js';
import { messageChunkPath, type MessageRecord, type RoomFile } from '../domains/export/format.js';
import { importedRoomId, renamedMediaId, renamedMessageId } from '../domains/export/import-ids.js';
import { receiveBundle } from '../domains/export/imports.js';
import { NO_WAIVERS, trustedImportKeys } from '../domains/export/import-trust.js';
import { startImport } from '../domains/export/client.js';
import { createDb, type Db } from '../lib/infra/db.js';
import { newId } from '../lib/infra/ids.js';
import { createLogger } from '../lib/infra/logger.js';
import { applyMigrations } from '../lib/infra/migrate.js';
import { streamName } from '../lib/infra/nats.js';
import { createS3 } from '../lib/infra/s3.js';
import { createTemporalClient } from '../lib/temporal/client.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { createUser } from '../lib/tenancy/users.js';
import { waveRoomsStream } from '../domains/wave/events.js';
import { mediaObjectKey } from '../domains/wave/media.js';
import { createWorkspace } from '../domains/wave/workspaces.js';
import { writeWorkflowBundle } from '../worker/bundle.js';
import { buildBundle as buildAnyBundle, changeByte, mediaFixture, messageFixture, saveBundle, unpackBundle, type BuiltBundle } from './support/bundle.js';
import { runScaiwave } from './support/cli.js';
import { captureHistory } from './support/histories.js';
import { startWorkerProcess, type WorkerProcess } from './support/processes.js';
import { startTestScaiGrid, type TestScaiGrid } from './support/scaigrid.js';
import { call, idpToken, newTenant, uniq } from './support/stack.js';
import { TINY_PNG } from './support/wave.js';

// Importing room bundles, end to end: bundles made by the test builder (the
// export's own sealing, signing and tar layout) go through the API or the CLI
// into S3; the wave-room-import workflow on a real worker verifies them and
// restores the room into MariaDB and S3, where this suite reads what a user of
// the room would get. The suite has a database, a NATS prefix, a task queue and
// a search directory of its own (the pattern of test/wave-search.test.ts).

interface ImportView {
  id: string;
  status: string;
  room_id: string | null;
  signed: boolean;
  counts: Record<string, number>;
  problems: { file: string; line?: number; problem: string }[] | null;
  error: string | null;
}

const SRC = { ana: 'src-user-ana', bo: 'src-user-bo', cy: 'src-user-cy' };
const AT = '2026-01-05T09:00:00.000Z';
const LATER = '2026-01-12T10:00:00.000Z';

describe('room import: verified bundles restored idempotently, resumable after a crash', () => {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig(process.env);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-import-'));
  let env: Record<string, string>;
  let config: Config;
  let db: Db;
  let s3: ReturnType<typeof createS3>;
  let grid: TestScaiGrid;
  let api: RunningApi;
  let worker: WorkerProcess;
  let temporal: ReturnType<typeof createTemporalClient>;
  let t: Provisioned;
  const key = { admin: '', compliance: '', member: '', stranger: '' };
  const ws: Record<'main' | 'other' | 'crash' | 'refuse' | 'source' | 'copy' | 'waived', string> = { main: '', other: '', crash: '', refuse: '', source: '', copy: '', waived: '' };
  let waivedSlug: string;
  // The deployment signs its exports with this key and, with SCAIWAVE_IMPORT_PUBLIC_KEY unset (the default), trusts only it.
  const signing = generateKeyPairSync('ed25519');
  // Another deployment's: trusted only where an operator names it in SCAIWAVE_IMPORT_PUBLIC_KEY.
  const partner = generateKeyPairSync('ed25519');
  let wsSlug: string;
  const boSubject = uniq('bo');
  const cySubject = uniq('cy');

  beforeAll(async () => {
    grid = await startTestScaiGrid();
    const workflows = path.join(dir, 'workflows.js');
    await writeWorkflowBundle(workflows);
    env = {
      SCAIWAVE_DB_URL: `mysql://${base.db.user}:${base.db.password}@${base.db.host}:${base.db.port}/${base.db.database}_import_${runId}`,
      SCAIWAVE_NATS_PREFIX: `i${runId}`,
      SCAIWAVE_TEMPORAL_TASK_QUEUE: uniq('wave-import'),
      SCAIWAVE_WORKFLOW_BUNDLE: workflows,
      SCAIWAVE_SEARCH_DIR: path.join(dir, 'search'),
      SCAIWAVE_SCAIGRID_URL: grid.url,
      SCAIWAVE_SCAIGRID_API_KEY: grid.platformKey,
      SCAIWAVE_WAVE_OUTBOX_POLL_MS: '200',
      SCAIWAVE_EXPORT_SIGNING_KEY: signing.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
    config = loadConfig({ ...process.env, ...env });
    await applyMigrations(config.db);
    db = createDb(config.db);
    s3 = createS3(config);
    api = await startApi(config, { port: 0 });
    worker = await startWorkerProcess(env);
    temporal = createTemporalClient(config);

    t = await newTenant(db, { roles: ['admin'] });
    key.admin = t.apiKey.key;
    const officer = await createUser(db, { tenantId: t.tenant.id, subject: uniq('officer'), roles: ['compliance'] });
    key.compliance = (await createApiKey(db, { tenantId: t.tenant.id, userId: officer.id, name: 'compliance' })).key;
    const member = await createUser(db, { tenantId: t.tenant.id, subject: uniq('member'), roles: ['member'] });
    key.member = (await createApiKey(db, { tenantId: t.tenant.id, userId: member.id, name: 'member' })).key;
    key.stranger = (await newTenant(db, { roles: ['admin', 'compliance'] })).apiKey.key;
    wsSlug = uniq('ops');
    waivedSlug = uniq('waived');
    for (const name of Object.keys(ws) as (keyof typeof ws)[]) {
      const slug = name === 'main' ? wsSlug : name === 'waived' ? waivedSlug : uniq(name);
      ws[name] = (await createWorkspace(db, t.tenant.id, t.user.id, { slug, name })).id;
    }
    bundle = firstBundle();
  }, 300_000);

  afterAll(async () => {
    await worker?.proc.stop(5000);
    await temporal?.close();
    await api?.close();
    await grid?.stop();
    const nc = await connect({ servers: base.env.SCAIWAVE_NATS_URL.replace(/^nats:\/\//, '') });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(streamName(config, waveRoomsStream.name)).catch(() => undefined);
    await nc.close();
    s3?.destroy();
    await db?.$executeRawUnsafe(`DROP DATABASE IF EXISTS \`${config.db.database}\``);
    await db?.$disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // ---------- the bundles ----------

  /** As the export makes them: the tenant's, signed by the deployment's key; its id a uuid, like every id of the bundle but the source's user ids. */
  const buildBundle = (spec: Parameters<typeof buildAnyBundle>[0]): BuiltBundle =>
    buildAnyBundle({ sign: signing.privateKey, ...spec, manifest: { exportId: newId(), tenant: { id: t.tenant.id, slug: t.tenant.slug }, ...spec?.manifest } });

  /** A room of three people: ana is the tenant's admin here (same subject), bo and cy are unknown here. */
  function roomOf(sourceRoomId: string): RoomFile {
    return {
      room: { id: sourceRoomId, kind: 'channel', visibility: 'private', name: 'incident-42', topic: 'Outage review', createdById: SRC.ana, createdAt: AT, archivedAt: null },
      workspace: { id: newId(), slug: 'ops', name: 'Operations' },
      members: [
        { userId: SRC.ana, role: 'owner', joinedAt: AT, leftAt: null },
        { userId: SRC.bo, role: 'member', joinedAt: AT, leftAt: LATER },
        { userId: SRC.cy, role: 'member', joinedAt: AT, leftAt: null },
      ],
      membershipLog: [
        { userId: SRC.ana, action: 'joined', role: 'owner', actorId: SRC.ana, at: AT },
        { userId: SRC.bo, action: 'invited', role: 'member', actorId: SRC.ana, at: AT },
        { userId: SRC.cy, action: 'invited', role: 'member', actorId: SRC.ana, at: AT },
        { userId: SRC.bo, action: 'left', role: null, actorId: SRC.bo, at: LATER },
      ],
      users: [
        { id: SRC.ana, subject: t.user.scaikeySubject, displayName: 'Ana', email: 'ana@example.test' },
        { id: SRC.bo, subject: boSubject, displayName: 'Bo', email: null },
        { id: SRC.cy, subject: cySubject, displayName: 'Cy', email: 'cy@example.test' },
      ],
    };
  }

  const EDITED = '2026-01-10T08:30:00.000Z';
  const marker = `heron${runId}`;

  /** Six messages over three chunks: reactions, an edit, a thread of two replies, a tombstone, one to search for. */
  function conversation(ids: string[]): MessageRecord[] {
    const [m1, m2, m3, m4, m5, m6] = ids as [string, string, string, string, string, string];
    return [
      messageFixture(1, { id: m1, authorId: SRC.ana, body: 'The outage began at 09:12', reactions: [{ userId: SRC.bo, emoji: '👍', at: EDITED }, { userId: SRC.cy, emoji: '👀', at: EDITED }] }),
      messageFixture(2, {
        id: m2,
        authorId: SRC.bo,
        body: 'Root cause: an expired certificate',
        mentions: [SRC.ana],
        editedAt: EDITED,
        revisions: [{ body: 'Root cause: unknown', editedAt: EDITED, editorId: SRC.bo }],
      }),
      messageFixture(3, { id: m3, authorId: SRC.ana, threadParentId: m1, body: 'Timeline in the thread' }),
      messageFixture(4, { id: m4, authorId: SRC.cy, body: null, editedAt: EDITED, revisions: [{ body: null, editedAt: EDITED, editorId: SRC.cy }], deleted: { at: LATER, byId: SRC.ana } }),
      messageFixture(5, { id: m5, authorId: SRC.cy, body: `The quarterly invoice ${marker} is overdue` }),
      messageFixture(6, { id: m6, authorId: SRC.ana, threadParentId: m1, body: 'Second reply', reactions: [{ userId: SRC.ana, emoji: '✅', at: LATER }] }),
    ];
  }

  const source = { room: newId(), messages: Array.from({ length: 6 }, () => newId()), png: newId(), lost: newId() };
  const media = () => [
    // Called octet-stream by the source: the import sniffs the bytes itself.
    mediaFixture(source.png, 'diagram.png', TINY_PNG, { ownerId: SRC.ana, scanStatus: 'clean' }),
    {
      record: { id: source.lost, ownerId: SRC.bo, fileName: 'lost.pdf', contentType: 'application/pdf', bytes: 10, sha256: 'a'.repeat(64), scanStatus: 'infected', createdAt: AT, path: null },
      content: null,
    },
  ];
  // Made once the tenant exists: ana's subject is its admin's.
  let bundle: BuiltBundle;
  const firstBundle = (): BuiltBundle => buildBundle({
    room: roomOf(source.room),
    messages: conversation(source.messages),
    messagesPerChunk: 2,
    media: media(),
    warnings: [{ code: 'media_infected', mediaId: source.lost, detail: 'infected: left out' }],
  });

  // ---------- helpers ----------

  const send = (who: keyof typeof key, workspaceId: string, bytes: Buffer) =>
    call<ImportView>(api.url, 'POST', `/v1/wave/workspaces/${workspaceId}/imports`, { token: key[who], body: bytes, headers: { 'Content-Type': 'application/x-tar' } });
  const look = (who: keyof typeof key, importId: string) => call<ImportView>(api.url, 'GET', `/v1/wave/imports/${importId}`, { token: key[who] });

  async function settled(importId: string): Promise<ImportView> {
    let view: ImportView | undefined;
    await waitUntil(
      `import ${importId} settled`,
      async () => {
        view = (await look('compliance', importId)).body.data;
        return view !== undefined && !['verifying', 'restoring'].includes(view.status);
      },
      180_000,
    );
    return view!;
  }

  async function imported(workspaceId: string, bytes: Buffer): Promise<ImportView> {
    const res = await send('compliance', workspaceId, bytes);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return settled(res.body.data!.id);
  }

  const userBySubject = (subject: string) => db.user.findUniqueOrThrow({ where: { tenantId_scaikeySubject: { tenantId: t.tenant.id, scaikeySubject: subject } } });

  /** Everything an import writes for a room, as rows. */
  async function roomState(roomId: string) {
    return {
      room: await db.waveRoom.findUnique({ where: { id: roomId } }),
      members: await db.waveRoomMember.findMany({ where: { roomId }, orderBy: { userId: 'asc' } }),
      log: await db.waveRoomMemberLog.findMany({ where: { roomId }, orderBy: { id: 'asc' } }),
      messages: await db.waveMessage.findMany({ where: { roomId }, orderBy: { seq: 'asc' } }),
      revisions: await db.waveMessageRevision.findMany({ where: { message: { roomId } }, orderBy: { id: 'asc' } }),
      reactions: await db.waveReaction.findMany({ where: { message: { roomId } }, orderBy: [{ messageId: 'asc' }, { userId: 'asc' }] }),
      media: await db.waveMedia.findMany({ where: { roomId }, orderBy: { id: 'asc' } }),
      events: await db.waveOutbox.count({ where: { roomId } }),
      users: await db.user.count({ where: { tenantId: t.tenant.id } }),
    };
  }

  const objectBytes = async (objectKey: string): Promise<Buffer> =>
    Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: config.env.SCAIWAVE_S3_BUCKET, Key: objectKey }))).Body!.transformToByteArray());
  const exists = (objectKey: string) =>
    s3.send(new HeadObjectCommand({ Bucket: config.env.SCAIWAVE_S3_BUCKET, Key: objectKey })).then(
      () => true,
      () => false,
    );

  // ---------- the tests ----------

  let first: ImportView;
  const mainRoom = () => importedRoomId(ws.main, source.room);

  it('restores the room, its members by subject, every message with its history, and its media, rescanned and searchable', async () => {
    first = await imported(ws.main, bundle.bytes);
    expect(first).toMatchObject({ status: 'completed', room_id: mainRoom(), signed: true, problems: null, error: null });
    expect(first.counts).toMatchObject({ messages: 6, messages_added: 6, messages_updated: 0, messages_renamed: 0, members: 3, placeholders: 2, media: 2, media_added: 1, media_left_out: 1 });
    await captureHistory('waveRoomImportWorkflow--completed', temporal.client.workflow.getHandle(workflowIds.waveRoomImport(first.id)));

    const s = await roomState(mainRoom());
    const ana = t.user.id;
    const bo = await userBySubject(boSubject);
    const cy = await userBySubject(cySubject);
    expect(s.room).toMatchObject({ workspaceId: ws.main, kind: 'channel', visibility: 'private', name: 'incident-42', topic: 'Outage review', createdById: ana, lastSeq: 6n });
    expect(s.room!.createdAt.toISOString()).toBe(AT);
    // The known subject is the tenant's own user; the unknown ones are deactivated placeholders, named as the bundle names them.
    for (const [u, name] of [[bo, 'Bo'], [cy, 'Cy']] as const) expect(u).toMatchObject({ source: 'import', status: 'deactivated', displayName: name, roles: [] });
    expect(s.members.map((m) => [m.userId, m.role, m.leftAt?.toISOString() ?? null])).toEqual(
      [
        [ana, 'owner', null],
        [bo.id, 'member', LATER],
        [cy.id, 'member', null],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    expect(s.log.map((l) => [l.userId, l.action, l.actorId])).toEqual([
      [ana, 'joined', ana],
      [bo.id, 'invited', ana],
      [cy.id, 'invited', ana],
      [bo.id, 'left', bo.id],
    ]);

    // Original ids, times and sequence numbers; thread links, edits, the tombstone and reactions as they were.
    const [m1, m2, m3, m4, m5, m6] = source.messages as [string, string, string, string, string, string];
    expect(s.messages.map((m) => [m.id, Number(m.seq), m.authorId, m.threadParentId])).toEqual([
      [m1, 1, ana, null],
      [m2, 2, bo.id, null],
      [m3, 3, ana, m1],
      [m4, 4, cy.id, null],
      [m5, 5, cy.id, null],
      [m6, 6, ana, m1],
    ]);
    expect(s.messages.map((m) => m.createdAt.toISOString())).toEqual(conversation(source.messages).map((m) => m.createdAt));
    expect(s.messages[1]).toMatchObject({ body: 'Root cause: an expired certificate', mentions: [ana] });
    expect(s.messages[1]!.editedAt!.toISOString()).toBe(EDITED);
    expect(s.messages[3]).toMatchObject({ body: null, deletedById: ana });
    expect(s.messages[3]!.deletedAt!.toISOString()).toBe(LATER);
    expect(s.revisions.map((r) => [r.messageId, r.body, r.editorId])).toEqual([
      [m2, 'Root cause: unknown', bo.id],
      [m4, null, cy.id],
    ]);
    expect(s.reactions.map((r) => [r.messageId, r.userId, r.emoji]).sort()).toEqual(
      [
        [m1, bo.id, '👍'],
        [m1, cy.id, '👀'],
        [m6, ana, '✅'],
      ].sort(),
    );

    // The room's members hear of it as of a room they were invited to.
    const events = await db.waveOutbox.findMany({ where: { roomId: mainRoom() }, orderBy: { id: 'asc' } });
    const types = events.map((e) => e.subject.split('.').slice(-2).join('.')).filter((type) => !type.startsWith('media.'));
    expect(types).toEqual(['room.created', 'member.joined', 'member.joined']);

    // The file: stored under this tenant's media key, typed from its bytes, scanned here before it is served.
    const [file] = s.media;
    expect(s.media).toHaveLength(1);
    expect(file).toMatchObject({ id: source.png, ownerId: ana, fileName: 'diagram.png', contentType: 'image/png', objectKey: mediaObjectKey(t.tenant.id, source.png), bytes: BigInt(TINY_PNG.length) });
    expect(await objectBytes(file!.objectKey)).toEqual(TINY_PNG);
    expect(await temporal.client.workflow.getHandle(workflowIds.waveMediaScan(source.png)).result()).toEqual({ status: 'clean' });
    expect((await db.waveMedia.findUniqueOrThrow({ where: { id: source.png } })).scanStatus).toBe('clean');

    // Searchable by the room's members once the room's reindex has run.
    await waitUntil(
      `"${marker}" found`,
      async () => {
        const res = await call<{ hits: { message_id: string }[] }>(api.url, 'GET', `/v1/wave/search?${new URLSearchParams({ q: marker, mode: 'keyword' })}`, { token: key.admin });
        return res.body.data!.hits.some((h) => h.message_id === m5);
      },
      180_000,
    );
    // The uploaded bundle is not kept once the import is done.
    const row = await db.waveImport.findUniqueOrThrow({ where: { id: first.id } });
    expect(await exists(row.objectKey)).toBe(false);
  }, 300_000);

  it('the same bundle again, through the API or the CLI, is the same import and changes nothing', async () => {
    const before = await roomState(mainRoom());
    const again = await send('compliance', ws.main, bundle.bytes);
    expect(again.status).toBe(202);
    expect(again.body.data).toMatchObject({ id: first.id, status: 'completed' });

    const file = await saveBundle(bundle.bytes);
    const cli = await runScaiwave(['room', 'import', wsSlug, file, '--tenant', t.tenant.slug, '--json'], env);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ id: first.id, status: 'completed', room_id: mainRoom() });
    expect(await roomState(mainRoom())).toEqual(before);
  }, 120_000);

  it('a later export of the same room lands in the same room: edits, deletions and new messages brought in, the rest left as it is', async () => {
    const [m1, m2, m3, m4, m5, m6] = source.messages as [string, string, string, string, string, string];
    const m7 = newId();
    const messages = conversation(source.messages);
    const later = [
      ...messages.slice(0, 1),
      { ...messages[1]!, body: 'Root cause: a certificate nobody renewed', editedAt: LATER, revisions: [...messages[1]!.revisions, { body: 'Root cause: an expired certificate', editedAt: LATER, editorId: SRC.bo }] },
      ...messages.slice(2, 4),
      { ...messages[4]!, body: null, mentions: [], deleted: { at: LATER, byId: SRC.cy } },
      messages[5]!,
      messageFixture(7, { id: m7, authorId: SRC.bo, body: 'Post-mortem scheduled' }),
    ];
    const before = await roomState(mainRoom());
    const view = await imported(ws.main, buildBundle({ room: roomOf(source.room), messages: later, messagesPerChunk: 3, media: media() }).bytes);
    expect(view).toMatchObject({ status: 'completed', room_id: mainRoom() });
    expect(view.counts).toMatchObject({ messages: 7, messages_added: 1, messages_updated: 2, messages_renamed: 0, placeholders: 0, media_added: 0 });

    const after = await roomState(mainRoom());
    expect(after.room!.lastSeq).toBe(7n);
    expect(after.messages.map((m) => m.id)).toEqual([m1, m2, m3, m4, m5, m6, m7]);
    expect(after.messages.find((m) => m.id === m2)!.body).toBe('Root cause: a certificate nobody renewed');
    expect(after.messages.find((m) => m.id === m5)).toMatchObject({ body: null, deletedById: (await userBySubject(cySubject)).id });
    expect(after.revisions.filter((r) => r.messageId === m2).map((r) => r.body)).toEqual(['Root cause: unknown', 'Root cause: an expired certificate']);
    // Untouched messages keep their rows exactly; members, history and media are as they were.
    for (const id of [m1, m3, m4, m6]) expect(after.messages.find((m) => m.id === id)).toEqual(before.messages.find((m) => m.id === id));
    expect([after.members, after.log, after.media, after.users]).toEqual([before.members, before.log, before.media, before.users]);
  }, 240_000);

  it('a placeholder becomes the person, with their messages, when they first sign in with ScaiKey', async () => {
    const placeholder = await userBySubject(cySubject);
    const me = await call<{ user_id: string; source: string }>(api.url, 'GET', '/v1/me', {
      token: await idpToken({ sub: cySubject, tenant: t.tenant.slug, roles: ['member'], email: 'cy@new.example.test' }),
    });
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    expect(me.body.data).toMatchObject({ user_id: placeholder.id, source: 'scaikey' });
    expect(await userBySubject(cySubject)).toMatchObject({ id: placeholder.id, status: 'active', source: 'scaikey', roles: ['member'], email: 'cy@new.example.test' });
    expect(await db.waveMessage.count({ where: { roomId: mainRoom(), authorId: placeholder.id } })).toBeGreaterThan(0);
  }, 60_000);

  it('into another workspace while the originals exist: a new room, new message and media ids derived from it, the originals untouched', async () => {
    // Which ids differ: the room's (importedRoomId of the other workspace), every message's and the
    // file's (renamedMessageId / renamedMediaId of the new room and the original id, since the first
    // room holds the originals), and the thread links and reactions, which follow their messages.
    // Times, sequence numbers, texts and authors (the same users, by subject) are the same.
    const original = await roomState(mainRoom());
    const file = await saveBundle(bundle.bytes);
    const cli = await runScaiwave(['room', 'import', ws.other, file, '--json'], env, 240_000);
    expect(cli.code, cli.stderr).toBe(0);
    const view = JSON.parse(cli.stdout) as { id: string; status: string; room_id: string; messages: Record<string, number> };
    const room = importedRoomId(ws.other, source.room);
    expect(view).toMatchObject({ status: 'completed', room_id: room, messages: { total: 6, added: 6, renamed: 6 } });
    expect(room).not.toBe(mainRoom());

    const copy = await roomState(room);
    const renamed = (id: string) => renamedMessageId(room, id);
    const [m1] = source.messages as [string];
    expect(copy.messages.map((m) => m.id)).toEqual(source.messages.map(renamed));
    expect(copy.messages.filter((m) => m.threadParentId !== null).map((m) => m.threadParentId)).toEqual([renamed(m1), renamed(m1)]);
    expect(new Set(copy.reactions.map((r) => r.messageId))).toEqual(new Set([renamed(m1), renamed(source.messages[5]!)]));
    expect(copy.messages.map((m) => [Number(m.seq), m.createdAt.getTime(), m.body])).toEqual(
      conversation(source.messages).map((m) => [m.seq, Date.parse(m.createdAt), m.body]),
    );
    expect(copy.messages.map((m) => m.authorId)).toEqual(original.messages.map((m) => m.authorId).slice(0, 6));
    expect(copy.media.map((m) => m.id)).toEqual([renamedMediaId(room, source.png)]);
    expect(await roomState(mainRoom())).toEqual(original);
  }, 300_000);

  it('a real export, imported into another workspace and exported again: the same bundle but for the ids and times that must differ', async () => {
    const as = <T,>(who: keyof typeof key, method: string, p: string, json?: unknown) => call<T>(api.url, method, `/v1/wave${p}`, { token: key[who], json });
    const ok = <T,>(res: { status: number; body: { data?: T } }) => {
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
      return res.body.data!;
    };
    const exportOf = async (roomId: string): Promise<Buffer> => {
      const { id } = ok(await as<{ id: string }>('compliance', 'POST', `/rooms/${roomId}/exports`, {}));
      let view: { status: string; download_url: string | null; error: string | null } | undefined;
      await waitUntil('export finished', async () => (view = ok(await as<typeof view & object>('compliance', 'GET', `/exports/${id}`))).status !== 'running', 180_000);
      expect(view!.status, view!.error ?? '').toBe('completed');
      return Buffer.from(await (await fetch(view!.download_url!)).arrayBuffer());
    };
    const scannedClean = (mediaId: string) =>
      waitUntil('media scanned', async () => (await db.waveMedia.findUniqueOrThrow({ where: { id: mediaId } })).scanStatus === 'clean', 120_000);

    // A room used as people use it: a member, an edited message with a reply, a deleted one, a reaction, a file.
    const roomId = ok(await as<{ id: string }>('admin', 'POST', `/workspaces/${ws.source}/rooms`, { kind: 'channel', name: 'round-trip', topic: 'Out and back' })).id;
    ok(await as('member', 'POST', `/rooms/${roomId}/join`));
    const first = ok(await as<{ id: string }>('admin', 'POST', `/rooms/${roomId}/messages`, { body: 'first draft' })).id;
    ok(await as('admin', 'PATCH', `/rooms/${roomId}/messages/${first}`, { body: 'final text' }));
    ok(await as('member', 'POST', `/rooms/${roomId}/messages`, { body: 'a reply', thread_parent_id: first }));
    const gone = ok(await as<{ id: string }>('admin', 'POST', `/rooms/${roomId}/messages`, { body: 'said in haste' })).id;
    ok(await as('admin', 'DELETE', `/rooms/${roomId}/messages/${gone}`));
    ok(await as('member', 'PUT', `/rooms/${roomId}/messages/${first}/reactions/${encodeURIComponent('👍')}`));
    const form = new FormData();
    form.append('file', new Blob([TINY_PNG]), 'plan.png');
    const mediaId = ok(await call<{ id: string }>(api.url, 'POST', `/v1/wave/rooms/${roomId}/media`, { token: key.admin, body: form })).id;
    await scannedClean(mediaId);

    const exported = await exportOf(roomId);
    const out = await unpackBundle(exported);
    const copyRoom = importedRoomId(ws.copy, roomId);
    const back = await imported(ws.copy, exported);
    expect(back).toMatchObject({ status: 'completed', room_id: copyRoom, signed: true });
    // The originals are in this deployment: every message and the file get ids derived from the new room.
    expect(back.counts).toMatchObject({ messages: 3, messages_added: 3, messages_renamed: 3, members: 2, placeholders: 0, media: 1, media_added: 1 });
    const copyMedia = renamedMediaId(copyRoom, mediaId);
    await scannedClean(copyMedia);
    const again = await unpackBundle(await exportOf(copyRoom));

    // What differs, and must: the export's own id and time (exportId, createdAt, range.until), the
    // workspace and the room (the target's; the room id derived from it and the source room), every
    // message id and thread link and the file's id (derived from the new room and the originals, which
    // this deployment still holds), so the file's path, and the hashes of the files holding those ids.
    // Everything else is the same: counts, tenant, exporter, users and their ids (the same tenant),
    // members and their history, texts, revisions, deletions, reactions, sequence numbers, times, bytes.
    const moved = (path: string) => path.replace(`media/${mediaId}/`, `media/${copyMedia}/`);
    const renamed = (id: string | null) => (id === null ? null : renamedMessageId(copyRoom, id));
    const { exportId, createdAt, range, workspace, room, files, manifestSha256, ...rest } = again.manifest;
    const { exportId: exportId0, createdAt: createdAt0, range: range0, room: room0, files: files0, manifestSha256: sha0, workspace: _w0, ...rest0 } = out.manifest;
    expect(rest).toEqual(rest0);
    expect([exportId === exportId0, createdAt > createdAt0, range.until > range0.until, range.since, manifestSha256 === sha0]).toEqual([false, true, true, null, false]);
    expect(workspace).toMatchObject({ id: ws.copy, name: 'copy' });
    expect(room).toEqual({ ...room0, id: copyRoom });
    expect(files.map((f) => f.path)).toEqual(files0.map((f) => moved(f.path)));
    const file = (list: typeof files, path: string) => list.find((f) => f.path === path)!;
    for (const f of files0.filter((f) => f.path.startsWith('media/') || f.path === 'warnings.json')) expect(file(files, moved(f.path))).toEqual({ ...f, path: moved(f.path) });
    expect(again.room).toEqual({ ...out.room, room: { ...out.room.room, id: copyRoom }, workspace });
    expect(again.messages).toEqual(out.messages.map((m) => ({ ...m, id: renamed(m.id)!, threadParentId: renamed(m.threadParentId) })));
    expect(again.media).toEqual(out.media.map((m) => ({ ...m, id: copyMedia, path: moved(m.path!) })));
  }, 300_000);

  it('a tampered bundle is refused naming the changed file, and nothing is written', async () => {
    const sourceRoom = newId();
    const good = buildBundle({ room: roomOf(sourceRoom), messages: conversation(Array.from({ length: 6 }, () => newId())), messagesPerChunk: 2 });
    const tampered = changeByte(good, messageChunkPath(2), 20);
    const usersBefore = await db.user.count({ where: { tenantId: t.tenant.id } });

    const view = await imported(ws.refuse, tampered);
    expect(view.status).toBe('refused');
    expect(view.problems!.map((p) => p.file)).toEqual([messageChunkPath(2)]);
    expect(view.error).toContain(messageChunkPath(2));
    expect(view.room_id).toBeNull();
    await captureHistory('waveRoomImportWorkflow--refused', temporal.client.workflow.getHandle(workflowIds.waveRoomImport(view.id)));

    const room = importedRoomId(ws.refuse, sourceRoom);
    expect(await db.waveRoom.count({ where: { workspaceId: ws.refuse } })).toBe(0);
    expect(await db.waveMessage.count({ where: { roomId: room } })).toBe(0);
    expect(await db.user.count({ where: { tenantId: t.tenant.id } })).toBe(usersBefore);

    // The CLI says the same and exits 6, naming the file.
    const cli = await runScaiwave(['room', 'import', ws.refuse, await saveBundle(tampered)], env);
    expect(cli.code).toBe(6);
    expect(cli.stderr).toContain(messageChunkPath(2));
    expect(cli.stdout).toContain(messageChunkPath(2));
  }, 180_000);

  it('a bundle whose checksums hold but whose content cannot be imported is refused naming file and line', async () => {
    const messages = conversation(Array.from({ length: 6 }, () => newId()));
    messages[3] = { ...messages[3]!, authorId: 'nobody-listed' };
    const view = await imported(ws.refuse, buildBundle({ room: roomOf(newId()), messages, messagesPerChunk: 2 }).bytes);
    expect(view.status).toBe('refused');
    expect(view.problems).toEqual([{ file: messageChunkPath(2), line: 2, problem: 'users not in room.json: nobody-listed' }]);
    expect(await db.waveRoom.count({ where: { workspaceId: ws.refuse } })).toBe(0);
  }, 120_000);

  const staged = async () => (await s3.send(new ListObjectsV2Command({ Bucket: config.env.SCAIWAVE_S3_BUCKET, Prefix: `${t.tenant.id}/wave/imports/` }))).KeyCount ?? 0;
  const smallRoom = (spec: { sign?: typeof signing.privateKey; tenant?: { id: string; slug: string } } = {}) =>
    buildAnyBundle({
      room: roomOf(newId()),
      messages: conversation(Array.from({ length: 6 }, () => newId())),
      manifest: { exportId: newId(), tenant: spec.tenant ?? { id: t.tenant.id, slug: t.tenant.slug } },
      sign: spec.sign,
    });
  const auditRows = (importId: string) => db.auditLog.findMany({ where: { requestId: importId } });

  it('refuses with 422 and stores nothing: an unsigned bundle, one signed by a key never trusted, one of another tenant, one that is no bundle', async () => {
    const before = { objects: await staged(), imports: await db.waveImport.count() };
    const cases: [string, Buffer, string, string][] = [
      // Files edited and the manifest re-hashed, without a signature: the checksums all hold.
      ['unsigned', smallRoom().bytes, 'IMPORT_SIGNATURE_INVALID', 'manifest.sig'],
      ['stray key', smallRoom({ sign: generateKeyPairSync('ed25519').privateKey }).bytes, 'IMPORT_UNTRUSTED_SIGNER', 'manifest.sig'],
      // Signed by this very deployment, for another of its tenants.
      ['other tenant', smallRoom({ sign: signing.privateKey, tenant: { id: newId(), slug: 'globex' } }).bytes, 'IMPORT_TENANT_MISMATCH', 'manifest.json'],
      ['no bundle', randomBytes(4096), 'IMPORT_BUNDLE_INVALID', '(archive)'],
    ];
    for (const [what, bytes, code, file] of cases) {
      const res = await send('compliance', ws.refuse, bytes);
      expect([what, res.status, res.body.error?.code], JSON.stringify(res.body)).toEqual([what, 422, code]);
      const details = (res.body.error as { details?: { problems: { file: string; problem: string }[] } }).details!;
      expect(details.problems.map((p) => p.file)).toEqual([file]);
      // Our words, never the tar library's ("Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?").
      expect(res.body.error!.message).not.toMatch(/Invalid tar header|gunzipped|Unexpected end of data/);
    }
    expect({ objects: await staged(), imports: await db.waveImport.count() }).toEqual(before);
    expect(await db.waveRoom.count({ where: { workspaceId: ws.refuse } })).toBe(0);

    // The CLI refuses the same, exit 6 with the code, and keeps nothing either.
    const cli = await runScaiwave(['room', 'import', ws.refuse, await saveBundle(cases[0]![1])], env);
    expect([cli.code, cli.stderr]).toEqual([6, expect.stringContaining('IMPORT_SIGNATURE_INVALID')]);
    expect({ objects: await staged(), imports: await db.waveImport.count() }).toEqual(before);
  }, 180_000);

  it('an operator may take an unsigned bundle with --allow-unsigned, and one of another tenant by naming the tenant; both audited', async () => {
    const unsigned = smallRoom();
    const cli = await runScaiwave(['room', 'import', ws.waived, await saveBundle(unsigned.bytes), '--allow-unsigned', '--json'], env, 240_000);
    expect(cli.code, cli.stderr).toBe(0);
    const taken = JSON.parse(cli.stdout) as { id: string; status: string; signed: boolean };
    expect(taken).toMatchObject({ status: 'completed', signed: false });
    const row = await db.waveImport.findUniqueOrThrow({ where: { id: taken.id } });
    expect(row).toMatchObject({ unsignedAllowed: true, otherTenantAllowed: false, operator: expect.stringContaining('@'), requestedById: null });
    expect((await auditRows(taken.id)).map((a) => [a.method, a.route, a.tenantId])).toEqual([['CLI', 'scaiwave room import --allow-unsigned', t.tenant.id]]);

    const foreign = smallRoom({ sign: signing.privateKey, tenant: { id: newId(), slug: 'globex' } });
    const file = await saveBundle(foreign.bytes);
    // By workspace id alone the operator named no tenant: refused.
    const unnamed = await runScaiwave(['room', 'import', ws.waived, file], env);
    expect([unnamed.code, unnamed.stderr]).toEqual([6, expect.stringContaining('IMPORT_TENANT_MISMATCH')]);
    const named = await runScaiwave(['room', 'import', waivedSlug, file, '--tenant', t.tenant.slug, '--json'], env, 240_000);
    expect(named.code, named.stderr).toBe(0);
    const moved = JSON.parse(named.stdout) as { id: string; status: string; signed: boolean };
    expect(moved).toMatchObject({ status: 'completed', signed: true });
    expect(await db.waveImport.findUniqueOrThrow({ where: { id: moved.id } })).toMatchObject({ otherTenantAllowed: true, sourceTenantId: foreign.manifest.tenant.id, signerFingerprint: expect.any(String) });
    expect((await auditRows(moved.id)).map((a) => a.route)).toEqual([`scaiwave room import bundle of tenant ${foreign.manifest.tenant.id}`]);
  }, 480_000);

  it("another deployment's key is trusted once an operator names it in SCAIWAVE_IMPORT_PUBLIC_KEY", async () => {
    const fromPartner = await saveBundle(smallRoom({ sign: partner.privateKey }).bytes);
    const refused = await runScaiwave(['room', 'import', ws.refuse, fromPartner], env);
    expect([refused.code, refused.stderr]).toEqual([6, expect.stringContaining('IMPORT_UNTRUSTED_SIGNER')]);
    const partnerKey = partner.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const trusting = { ...env, SCAIWAVE_IMPORT_PUBLIC_KEY: `${other},${partnerKey}` };
    // The worker verifies again under its own configuration: the suite's worker trusts only the deployment's key.
    const queue = uniq('wave-import-partner');
    const partnerWorker = await startWorkerProcess({ ...trusting, SCAIWAVE_TEMPORAL_TASK_QUEUE: queue });
    try {
      const taken = await runScaiwave(['room', 'import', ws.waived, fromPartner, '--json'], { ...trusting, SCAIWAVE_TEMPORAL_TASK_QUEUE: queue }, 240_000);
      expect(taken.code, taken.stderr).toBe(0);
      expect(JSON.parse(taken.stdout)).toMatchObject({ status: 'completed', signed: true });
    } finally {
      await partnerWorker.proc.stop(5000);
    }
  }, 300_000);

  it('a worker killed after restoring a chunk of messages: the import resumes and the room holds exactly the bundle’s messages', async () => {
    const crashQueue = uniq('wave-import-crash');
    const crashEnv = { ...env, SCAIWAVE_TEMPORAL_TASK_QUEUE: crashQueue };
    const ids = Array.from({ length: 9 }, () => newId());
    const messages = ids.map((id, i) => messageFixture(i + 1, { id, authorId: i % 2 ? SRC.bo : SRC.ana }));
    const crashBundle = buildBundle({ room: roomOf(newId()), messages, messagesPerChunk: 3 });
    const deps = { db, s3, bucket: config.env.SCAIWAVE_S3_BUCKET, logger: createLogger('wave-import-test', 'warn') };
    const request = { tenantId: t.tenant.id, workspaceId: ws.crash, requestedById: null };
    const terms = { trusted: trustedImportKeys(config.env), waivers: NO_WAIVERS, operator: null };
    const { row } = await receiveBundle(deps, request, terms, Readable.from([crashBundle.bytes]), config.env.SCAIWAVE_IMPORT_MAX_BYTES);

    const crasher = await startWorkerProcess({ ...crashEnv, CRASH_AT: 'restoreImportMessages:after' }, 'test/support/crash-worker.ts');
    const starter = { temporal: temporal.client, config: { ...config, env: { ...config.env, SCAIWAVE_TEMPORAL_TASK_QUEUE: crashQueue } } };
    const handle = await startImport(starter, { tenantId: t.tenant.id, tenantSlug: t.tenant.slug }, row.id);
    expect(await crasher.proc.exited).toBe(128);
    // The killed worker had written the first chunk; Temporal never heard so.
    const roomId = importedRoomId(ws.crash, crashBundle.manifest.room.id);
    expect(await db.waveMessage.count({ where: { roomId } })).toBe(3);

    const rescuer = await startWorkerProcess(crashEnv);
    try {
      expect(await handle.result()).toEqual({ status: 'completed', roomId });
    } finally {
      await rescuer.proc.stop(5000);
    }
    const restored = await db.waveMessage.findMany({ where: { roomId }, orderBy: { seq: 'asc' } });
    expect(restored.map((m) => m.id)).toEqual(ids);
    expect(await db.waveImport.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ status: 'completed', messagesTotal: 9, messagesAdded: 9, messagesUpdated: 0 });
    await captureHistory('waveRoomImportWorkflow--worker-killed', handle);
  }, 300_000);

  it('a bundle over SCAIWAVE_IMPORT_MAX_BYTES is refused with 413, its length declared or not, and nothing is kept', async () => {
    const small = await startApi(loadConfig({ ...process.env, ...env, SCAIWAVE_IMPORT_MAX_BYTES: String(bundle.bytes.length - 1) }), { port: 0 });
    const before = { objects: await staged(), imports: await db.waveImport.count() };
    const url = `${small.url}/v1/wave/workspaces/${ws.refuse}/imports`;
    const headers = { Authorization: `Bearer ${key.compliance}`, 'Content-Type': 'application/x-tar' };
    try {
      const declared = await fetch(url, { method: 'POST', headers, body: bundle.bytes });
      expect(declared.status).toBe(413);
      // Streamed without a length: cut off once the cap is passed.
      const chunked = await fetch(url, { method: 'POST', headers, body: Readable.toWeb(Readable.from([bundle.bytes])) as ReadableStream, duplex: 'half' } as RequestInit);
      expect(chunked.status).toBe(413);
      expect(((await chunked.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    } finally {
      await small.close();
    }
    expect({ objects: await staged(), imports: await db.waveImport.count() }).toEqual(before);
  }, 120_000);

  it("another tenant's workspace or import is not found; a member without the compliance or admin role is forbidden", async () => {
    expect((await send('stranger', ws.main, bundle.bytes)).status).toBe(404);
    expect((await look('stranger', first.id)).status).toBe(404);
    const forbidden = await send('member', ws.main, bundle.bytes);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error!.code).toBe('FORBIDDEN');
    expect((await look('member', first.id)).status).toBe(403);
    // The tenant's admin may import and follow imports too.
    expect((await look('admin', first.id)).status).toBe(200);
    // Not a tar: refused before a byte is stored.
    const json = await call(api.url, 'POST', `/v1/wave/workspaces/${ws.main}/imports`, { token: key.compliance, json: {} });
    expect(json.status).toBe(415);
  }, 60_000);
});
