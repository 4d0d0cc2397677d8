import { randomBytes } from 'node:crypto';
import fs, { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../devstack/ports.js';
import { createApiKey } from '../lib/auth/api-keys.js';
import { loadConfig } from '../lib/config.js';
import { createDb } from '../lib/infra/db.js';
import { newId } from '../lib/infra/ids.js';
import { applyMigrations } from '../lib/infra/migrate.js';
import { streamName } from '../lib/infra/nats.js';
import { EVENT_STREAMS } from '../domains/streams.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { planSync } from '../domains/identity/plan.js';
import type { Prisma } from '../lib/generated/prisma/client.js';
import { startUserErasure } from '../domains/erasure/client.js';
import { userErasureActivities } from '../domains/erasure/activities.js';
import { requestUserErasure } from '../domains/erasure/erasures.js';
import { scanForTraces, type TraceReport } from '../domains/erasure/trace-scan/scan.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import { createUser, type User } from '../lib/tenancy/users.js';
import { runScaiwave } from './support/cli.js';
import { frameSocket, opened } from './support/frame-socket.js';
import { captureHistory } from './support/histories.js';
import { startWorkerProcess } from './support/processes.js';
import { startScaiEchoStack, transcribe, waitForJob, type ScaiEchoStack } from './support/scaiecho.js';
import { startTestScaiGrid, type TestScaiGrid } from './support/scaigrid.js';
import { speak } from './support/speech.js';
import { call, idpToken, newTenant, uniq, type ApiAnswer } from './support/stack.js';
import { storedInput } from './support/sealed-inputs.js';

// GDPR erasure of a whole user, end to end on the real stores: a person with
// messages in two rooms (edited, replied to, reacted to, mentioned), a file,
// a transcription job and an enrolled voice is erased by a compliance officer,
// and the completeness scan, which finds every phrase before, finds nothing
// after in MariaDB, S3, Redis, JetStream, the search index files or Temporal.
// A second user with hundreds of messages is erased by a worker SIGKILLed
// after a batch's work, a run continuing as new every two batches: every
// message is gone once, each with one deletion event.

interface ErasureView {
  erasure_id: string;
  user_id: string;
  pseudonym_id: string;
  mode: string;
  status: string;
  receipts: { store: string; removed: number; batches: number; proof: Record<string, unknown>[] }[];
}

interface RequestView {
  request_id: string;
  user_id: string;
  status: string;
  requested_at: string;
  due_at: string;
  overdue_at: string | null;
  decision_note: string | null;
  erasure_id: string | null;
}

const REQUEST_DEADLINE_S = 6;
const CONSENT = 'I agree that my voice may be enrolled for speaker attribution.';
const SHELLS = 'She sells sea shells by the sea shore, and the shells she sells are surely sea shells.';

describe('user erasure: every store, a receipt per store, and a scan that finds nothing left', () => {
  // A database, streams and index of its own: the scan reads them whole.
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig(process.env);
  const searchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-erasure-'));
  const env: Record<string, string> = {
    SCAIWAVE_DB_URL: `mysql://${base.db.user}:${base.db.password}@${base.db.host}:${base.db.port}/${base.db.database}_erasure_${runId}`,
    SCAIWAVE_NATS_PREFIX: `e${runId}`,
    SCAIWAVE_SEARCH_DIR: searchDir,
    SCAIWAVE_WAVE_OUTBOX_POLL_MS: '200',
    // A user's own request is due this soon here: the test watches its deadline pass.
    SCAIWAVE_ERASURE_REQUEST_DEADLINE_SECONDS: String(REQUEST_DEADLINE_S),
  };
  const config = loadConfig({ ...process.env, ...env });
  const db = createDb(config.db);
  let grid: TestScaiGrid;
  let s: ScaiEchoStack;
  let t: Provisioned;
  let carol: string;
  let bob: { user: User; key: string };
  let workspaceId: string;
  const marker = uniq('zq');
  const phrase = (n: number) => `${marker} private phrase number ${n}`;

  beforeAll(async () => {
    await applyMigrations(config.db);
    grid = await startTestScaiGrid();
    s = await startScaiEchoStack({ diarizers: 1, env: { ...env, SCAIWAVE_SCAIGRID_URL: grid.url, SCAIWAVE_SCAIGRID_API_KEY: grid.platformKey } });
    t = await newTenant(db, { roles: ['admin'], tier: 'pro' });
    const c = await createUser(db, { tenantId: t.tenant.id, subject: uniq('carol'), roles: ['compliance'] });
    carol = (await createApiKey(db, { tenantId: t.tenant.id, userId: c.id, name: 'carol' })).key;
    const b = await createUser(db, { tenantId: t.tenant.id, subject: uniq('bob'), roles: ['member'] });
    bob = { user: b, key: (await createApiKey(db, { tenantId: t.tenant.id, userId: b.id, name: 'bob' })).key };
    workspaceId = (await wave<{ id: string }>(t.apiKey.key, 'POST', '/workspaces', { slug: uniq('ws'), name: 'Erasure' })).body.data!.id;
  }, 300_000);
  afterAll(async () => {
    await s?.stop();
    await grid?.stop();
    const nc = await connect({ servers: base.env.SCAIWAVE_NATS_URL.replace(/^nats:\/\//, '') });
    const jsm = await nc.jetstreamManager();
    for (const spec of EVENT_STREAMS) await jsm.streams.delete(streamName(config, spec.name)).catch(() => undefined);
    await nc.close();
    await db.$executeRawUnsafe(`DROP DATABASE IF EXISTS \`${config.db.database}\``);
    await db.$disconnect();
    fs.rmSync(searchDir, { recursive: true, force: true });
  });

  const wave = <T,>(token: string, method: string, p: string, json?: unknown): Promise<ApiAnswer<T>> => call<T>(s.api.url, method, `/v1/wave${p}`, { token, json });
  const compliance = <T,>(token: string, method: string, p: string, json?: unknown): Promise<ApiAnswer<T>> =>
    call<T>(s.api.url, method, `/v1/compliance${p}`, { token, json });
  const newRoom = async (name: string): Promise<string> => {
    const roomId = (await wave<{ id: string }>(t.apiKey.key, 'POST', `/workspaces/${workspaceId}/rooms`, { kind: 'channel', name })).body.data!.id;
    expect((await wave(bob.key, 'POST', `/rooms/${roomId}/join`)).status).toBe(200);
    return roomId;
  };
  const post = async (token: string, roomId: string, body: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const res = await wave<{ id: string }>(token, 'POST', `/rooms/${roomId}/messages`, { body, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.data!.id;
  };
  const person = async (name: string): Promise<{ user: User; key: string; email: string }> => {
    const email = `${uniq(name)}@example.test`;
    const user = await createUser(db, { tenantId: t.tenant.id, subject: uniq(name), email, displayName: `${name} ${marker}`, roles: ['member'], source: 'scaikey' });
    return { user, email, key: (await createApiKey(db, { tenantId: t.tenant.id, userId: user.id, name })).key };
  };
  const completed = async (erasureId: string): Promise<ErasureView> => {
    let view: ErasureView | undefined;
    await waitUntil('erasure completed', async () => {
      view = (await compliance<ErasureView>(carol, 'GET', `/erasures/${erasureId}`)).body.data;
      return view?.status === 'completed';
    }, 600_000);
    return view!;
  };
  const scan = (e: { erasure_id: string; user_id: string }, clues: Parameters<typeof scanForTraces>[2]): Promise<TraceReport> =>
    scanForTraces(s.api.deps, { id: e.erasure_id, tenantId: t.tenant.id, userId: e.user_id }, clues);

  it('messages, media, a job, a voice and the identity: erased, each store with its receipt, and the scan finds zero', async () => {
    const dana = await person('dana');
    const [roomA, roomB] = [await newRoom('a'), await newRoom('b')];
    for (const r of [roomA, roomB]) expect((await wave(dana.key, 'POST', `/rooms/${r}/join`)).status).toBe(200);
    const asked = await post(dana.key, roomA, phrase(1));
    expect((await wave(dana.key, 'PATCH', `/rooms/${roomA}/messages/${asked}`, { body: phrase(2) })).status).toBe(200);
    const reply = await post(bob.key, roomA, `bob answers dana`, { thread_parent_id: asked, mentions: [dana.user.id] });
    await post(dana.key, roomB, phrase(3));
    const bobsOwn = await post(bob.key, roomB, 'a message of bob');
    expect((await wave(dana.key, 'PUT', `/rooms/${roomB}/messages/${bobsOwn}/reactions/${encodeURIComponent('👍')}`)).status).toBe(200);

    const form = new FormData();
    form.append('file', new Blob([Buffer.from(`notes: ${phrase(4)}\n`)]), `${marker}-notes.txt`);
    const media = await call<{ id: string }>(s.api.url, 'POST', `/v1/wave/rooms/${roomB}/media`, { token: dana.key, body: form });
    expect([201, 202], JSON.stringify(media.body)).toContain(media.status);
    await waitUntil('media scanned', async () => (await db.waveMedia.findUniqueOrThrow({ where: { id: media.body.data!.id } })).scanStatus !== 'pending_scan', 120_000);

    const job = await transcribe(s.api.url, dana.key, speak('the quick brown fox jumps over the lazy dog'), { force_async: 'true' });
    expect(job.status, JSON.stringify(job.body)).toBe(202);
    const transcript = (await waitForJob(s.api.url, dana.key, job.body.data!.job_id)).transcript!;
    expect(transcript.length).toBeGreaterThan(0);

    const voice = new FormData();
    voice.append('display_name', `voice of ${marker}`);
    voice.append('consent_text_version', 'v3');
    voice.append('reference_audio', new Blob([readFileSync(speak(SHELLS, 'rms'))]), 'reference.wav');
    voice.append('consent_recording', new Blob([readFileSync(speak(CONSENT, 'rms'))]), 'consent.wav');
    const enrolled = await call<{ speaker_id: string }>(s.api.url, 'POST', '/v1/modules/scaiecho/speakers', { token: dana.key, body: voice });
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(202);
    const speakerId = enrolled.body.data!.speaker_id;
    await waitUntil('speaker ready', async () => (await db.speakerProfile.findUniqueOrThrow({ where: { id: speakerId } })).enrollmentStatus === 'ready', 120_000);
    // Indexed: the phrase is searchable, so the index files hold it before the erasure.
    await waitUntil('messages indexed', async () => {
      const found = await call<{ hits: unknown[] }>(s.api.url, 'GET', `/v1/wave/search?mode=keyword&q=${encodeURIComponent(marker)}`, { token: bob.key });
      return (found.body.data?.hits.length ?? 0) >= 2;
    }, 120_000);

    // A live session: its audit row names her until the erasure rewrites it.
    const live = frameSocket(`${s.api.url.replace('http', 'ws')}/v1/modules/scaiecho/stream/transcribe`, dana.key);
    await opened(live.ws);
    live.ws.send(JSON.stringify({ type: 'open' }));
    const liveSession = (await live.next('ready')).session_id as string;
    live.ws.send(JSON.stringify({ type: 'close' }));
    await live.next('closed');
    expect(await db.streamSession.findUniqueOrThrow({ where: { id: liveSession } })).toMatchObject({ userId: dana.user.id });
    // A job she deleted: its receipt names her until the erasure rewrites it.
    const gone = await transcribe(s.api.url, dana.key, speak('green apples on the kitchen table'));
    expect(gone.status, JSON.stringify(gone.body)).toBe(200);
    const deletion = await call<{ status: string }>(s.api.url, 'DELETE', `/v1/modules/scaiecho/jobs/${gone.body.data!.job_id}`, { token: dana.key });
    expect(deletion.body.data).toMatchObject({ status: 'deleted' });

    const clues = { email: dana.email, subject: dana.user.scaikeySubject, phrases: [phrase(1), phrase(2), phrase(3), phrase(4), `${marker}-notes`, transcript] };
    const jwt = await idpToken({ sub: dana.user.scaikeySubject, tenant: t.tenant.slug, roles: ['member'] });
    expect((await call(s.api.url, 'GET', '/v1/me', { token: jwt })).status).toBe(200);

    // Who may ask, and what is refused before anything is written.
    const before = await db.waveUserErasure.count({ where: { tenantId: t.tenant.id } });
    expect((await compliance(bob.key, 'POST', '/erasures', { user_id: dana.user.id })).status).toBe(403);
    const stranger = await newTenant(db, { roles: ['admin'] });
    expect((await compliance(stranger.apiKey.key, 'POST', '/erasures', { user_id: dana.user.id })).status).toBe(404);
    expect((await compliance(carol, 'POST', '/erasures', { scaikey_subject: 'no-such-subject' })).status).toBe(404);
    for (const bad of [{ user_id: dana.user.id, mode: 'shred' }, {}, { user_id: dana.user.id, scaikey_subject: 'x' }, { user_id: dana.user.id, extra: 1 }]) {
      const res = await compliance<unknown>(carol, 'POST', '/erasures', bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error?.code).toBe('VALIDATION_ERROR');
    }
    expect(await db.waveUserErasure.count({ where: { tenantId: t.tenant.id } })).toBe(before);

    // What Temporal keeps in clear (ids, search attributes, summaries, failure messages) names none of it;
    // payloads are sealed, the job's input under dana's own key, the enrollment's under the speaker's.
    for await (const wf of s.api.deps.temporal.workflow.list({ query: `TenantId = "${t.tenant.id}"` })) {
      const described = await s.api.deps.temporal.workflow.getHandle(wf.workflowId, wf.runId).describe();
      const history = await s.api.deps.temporal.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const failures = (history.events ?? []).flatMap((ev) => Object.values(ev).flatMap((attrs) => ((attrs as { failure?: { message?: string } } | null)?.failure?.message ? [attrs.failure.message] : [])));
      const inClear = JSON.stringify([wf.workflowId, wf.searchAttributes, described.staticSummary, described.staticDetails, failures]);
      for (const clue of [clues.email, clues.subject, `voice of ${marker}`, ...clues.phrases]) expect(inClear, `${wf.workflowId}: ${clue}`).not.toContain(clue);
    }
    const jobInput = s.api.deps.temporal.workflow.getHandle(workflowIds.transcribe(job.body.data!.job_id));
    const enrollmentInput = s.api.deps.temporal.workflow.getHandle(workflowIds.enrollSpeaker(speakerId));
    const [jobSealed, voiceSealed] = [await storedInput(s.api.deps.config, jobInput), await storedInput(s.api.deps.config, enrollmentInput)];
    expect(jobSealed).toMatchObject({ sealed: true, opens: true });
    expect(voiceSealed).toMatchObject({ sealed: true, opens: true });

    // The scan finds every phrase while the data is there: a zero later means something.
    const pre = await scan({ erasure_id: 'none', user_id: dana.user.id }, clues);
    const preStores = new Set(pre.hits.map((h) => h.store));
    for (const store of ['mariadb', 's3', 'search_index', 'jetstream', 'redis']) expect(preStores, store).toContain(store);
    for (const label of ['user id', 'email', 'phrase 1', 'phrase 2', 'phrase 3', 'phrase 4', 'phrase 5', 'phrase 6']) expect(pre.hits.map((h) => h.needle)).toContain(label);

    const started = await compliance<ErasureView>(carol, 'POST', '/erasures', { user_id: dana.user.id });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const again = await compliance<ErasureView>(carol, 'POST', '/erasures', { scaikey_subject: dana.user.scaikeySubject, mode: 'delete' });
    expect(again.body.data).toMatchObject({ erasure_id: started.body.data!.erasure_id, mode: 'redact' });
    expect((await compliance(stranger.apiKey.key, 'GET', `/erasures/${started.body.data!.erasure_id}`)).status).toBe(404);
    const done = await completed(started.body.data!.erasure_id);
    await captureHistory('eraseUserWorkflow--completed', s.api.deps.temporal.workflow.getHandle(workflowIds.eraseUser(dana.user.id)));

    const receipt = Object.fromEntries(done.receipts.map((r) => [r.store, r]));
    expect(Object.keys(receipt).sort()).toEqual(
      ['accounting', 'events', 'exports', 'identity', 'job_events', 'media', 'mentions', 'messages', 'payload_keys', 'reactions', 'references', 'scaiecho_jobs', 'speakers'].sort(),
    );
    // Crypto-shredded: the histories of dana's job and of her voice's enrollment open for no one now.
    expect(receipt.payload_keys!.proof[0]!.payload_keys_destroyed).toEqual([jobSealed.keyId]);
    expect(await storedInput(s.api.deps.config, jobInput)).toEqual({ sealed: true, keyId: jobSealed.keyId, opens: false });
    expect(await storedInput(s.api.deps.config, enrollmentInput)).toEqual({ sealed: true, keyId: voiceSealed.keyId, opens: false });
    expect((await db.speakerErasure.findUniqueOrThrow({ where: { speakerId } })).payloadKeysDestroyed).toEqual([voiceSealed.keyId]);
    expect(receipt.messages!.removed).toBe(2);
    expect(receipt.media!.proof.flatMap((p) => p.object_keys_deleted as string[])).toHaveLength(2);
    expect(receipt.scaiecho_jobs!.removed).toBe(1);
    expect(receipt.speakers!.removed).toBe(1);
    expect(receipt.reactions!.removed).toBe(1);
    expect(receipt.mentions!.removed).toBe(1);
    expect(receipt.identity!.proof[0]).toMatchObject({ profile_blanked: true });

    const after = await scan(done, clues);
    expect(after.hits).toEqual([]);
    expect(after.stores.find((x) => x.store === 'temporal')!.read).toBeGreaterThan(0);

    // The operator's view: the same receipts, and the scan as a command that fails on a trace.
    const cliEnv = { ...s.env, SCAIWAVE_SCAIGRID_URL: grid.url };
    const status = await runScaiwave(['erasure', 'status', done.erasure_id, '--tenant', t.tenant.slug, '--json'], cliEnv);
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as ErasureView).receipts.map((r) => r.store).sort()).toEqual(done.receipts.map((r) => r.store).sort());
    const listed = await runScaiwave(['erasure', 'list', '--tenant', t.tenant.slug], cliEnv);
    expect(listed.stdout).toContain(done.erasure_id);
    const clean = await runScaiwave(['erasure', 'verify', done.erasure_id, '--tenant', t.tenant.slug, '--email', dana.email, '--phrase', phrase(1), '--phrase', phrase(4)], cliEnv);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toContain('No trace of the user in any store.');
    const stillThere = await runScaiwave(['erasure', 'verify', done.erasure_id, '--tenant', t.tenant.slug, '--phrase', 'bob answers dana'], cliEnv);
    expect(stillThere.code).toBe(6);
    expect(stillThere.stdout).toMatch(/mariadb: phrase 1 in wave_messages\.body/);
    expect(stillThere.stdout).not.toContain('bob answers dana');

    // Bob's reply still hangs off a tombstone, which names the pseudonym; his own message keeps nothing of dana's.
    const thread = await wave<{ messages: { id: string; body: string | null; author_id: string }[] }>(bob.key, 'GET', `/rooms/${roomA}/messages/${asked}/thread`);
    expect(thread.status).toBe(200);
    expect(await db.waveMessage.findUniqueOrThrow({ where: { id: asked } })).toMatchObject({ body: null, authorId: done.pseudonym_id });
    expect(await db.waveMessage.findUniqueOrThrow({ where: { id: reply } })).toMatchObject({ body: 'bob answers dana', mentions: [done.pseudonym_id] });
    expect(await db.speakerProfile.findUniqueOrThrow({ where: { id: speakerId } })).toMatchObject({ enrollmentStatus: 'erased', displayName: null });
    expect(await db.streamSession.findUniqueOrThrow({ where: { id: liveSession } })).toMatchObject({ userId: done.pseudonym_id });
    expect(await db.jobDeletion.findUniqueOrThrow({ where: { jobId: gone.body.data!.job_id } })).toMatchObject({ requestedByUserId: done.pseudonym_id });

    // No key or token of theirs works, and no sync or sign-in makes them again.
    expect((await call(s.api.url, 'GET', '/v1/me', { token: dana.key })).status).toBe(401);
    expect((await call(s.api.url, 'GET', '/v1/me', { token: jwt })).status).toBe(401);
    const fresh = await idpToken({ sub: dana.user.scaikeySubject, tenant: t.tenant.slug, roles: ['member'] });
    expect((await call(s.api.url, 'GET', '/v1/me', { token: fresh })).status).toBe(401);
    const known = await db.user.findMany({ where: { tenantId: t.tenant.id } });
    const plan = planSync(t.tenant.id, { users: [{ id: dana.user.scaikeySubject, active: true, emails: [{ value: dana.email }] }], groups: [] }, known);
    expect(plan.add).toEqual([]);
    expect(await db.user.count({ where: { tenantId: t.tenant.id, OR: [{ email: dana.email }, { scaikeySubject: dana.user.scaikeySubject }] } })).toBe(0);

    // The record and its receipts are the proof: the database refuses to change them.
    await expect(db.$executeRawUnsafe('UPDATE wave_user_erasure_receipts SET removed = 0 WHERE erasure_id = ?', done.erasure_id)).rejects.toThrow(/append-only|cannot/);
    await expect(db.$executeRawUnsafe('DELETE FROM wave_user_erasures WHERE id = ?', done.erasure_id)).rejects.toThrow(/append-only|cannot/);
    await expect(db.$executeRawUnsafe('UPDATE wave_user_erasures SET user_id = ? WHERE id = ?', newId(), done.erasure_id)).rejects.toThrow();
  }, 900_000);

  it('an erasure under a legal hold waits, visibly, and completes once the hold is released', async () => {
    const frank = await person('frank');
    const roomId = await newRoom('held');
    expect((await wave(frank.key, 'POST', `/rooms/${roomId}/join`)).status).toBe(200);
    const said = await post(frank.key, roomId, phrase(9));

    // Who may hold, and what a hold must name.
    expect((await compliance(bob.key, 'POST', '/holds', { scope: 'room', target_id: roomId, reason: 'case 7' })).status).toBe(403);
    for (const bad of [{ scope: 'room', reason: 'case 7' }, { scope: 'planet', target_id: roomId, reason: 'x' }, { scope: 'room', target_id: roomId, reason: '  ' }]) {
      const res = await compliance<unknown>(carol, 'POST', '/holds', bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    const stranger = await newTenant(db, { roles: ['admin'] });
    expect((await compliance(stranger.apiKey.key, 'POST', '/holds', { scope: 'room', target_id: roomId, reason: 'case 7' })).status).toBe(404);
    const placed = await compliance<{ hold_id: string; active: boolean }>(carol, 'POST', '/holds', { scope: 'room', target_id: roomId, reason: 'case 7' });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const holdId = placed.body.data!.hold_id;

    const started = await compliance<ErasureView & { progress: { held_by: string[] } | null }>(carol, 'POST', '/erasures', { user_id: frank.user.id });
    expect(started.status).toBe(202);
    const erasureId = started.body.data!.erasure_id;
    await waitUntil('the erasure waits on the hold', async () => {
      const v = (await compliance<{ progress: { held_by: string[] } | null }>(carol, 'GET', `/erasures/${erasureId}`)).body.data;
      return v?.progress?.held_by.includes(holdId) === true;
    }, 120_000);
    const handle = s.api.deps.temporal.workflow.getHandle(workflowIds.eraseUser(frank.user.id));
    expect((await handle.describe()).searchAttributes.JobStatus).toEqual(['held']);
    // Nothing is erased meanwhile: their message, their key, their profile.
    expect(await db.waveMessage.findUniqueOrThrow({ where: { id: said } })).toMatchObject({ body: phrase(9) });
    expect((await call(s.api.url, 'GET', '/v1/me', { token: frank.key })).status).toBe(200);
    expect((await compliance<{ holds: { hold_id: string }[] }>(carol, 'GET', '/holds')).body.data!.holds.map((h) => h.hold_id)).toContain(holdId);
    expect((await compliance(stranger.apiKey.key, 'DELETE', `/holds/${holdId}`)).status).toBe(404);

    const released = await compliance<{ active: boolean; released_at: string | null }>(carol, 'DELETE', `/holds/${holdId}`);
    expect(released.body.data).toMatchObject({ active: false });
    const done = await completed(erasureId);
    expect(done.receipts.find((r) => r.store === 'messages')!.removed).toBe(1);
    expect((await scan(done, { email: frank.email, phrases: [phrase(9)] })).hits).toEqual([]);
    await captureHistory('eraseUserWorkflow--held-then-released', handle);
    // The hold is a record: released once, never deleted.
    await expect(db.$executeRawUnsafe('DELETE FROM wave_legal_holds WHERE id = ?', holdId)).rejects.toThrow(/append-only/);
    await expect(db.$executeRawUnsafe('UPDATE wave_legal_holds SET released_at = NULL WHERE id = ?', holdId)).rejects.toThrow(/only a release/);
  }, 900_000);

  it("a user's own request: filed once, marked overdue by its timer though no worker ran when it fell due, approved into an erasure; a rejection gives its reason", async () => {
    const fay = await person('fay');
    const mine = (key: string, method: string) => call<RequestView>(s.api.url, method, '/v1/me/erasure-request', { token: key });
    expect((await mine(fay.key, 'GET')).status).toBe(404);
    const filed = await mine(fay.key, 'POST');
    expect(filed.status, JSON.stringify(filed.body)).toBe(202);
    const r = filed.body.data!;
    expect(r).toMatchObject({ user_id: fay.user.id, status: 'pending', overdue_at: null, erasure_id: null });
    expect(Date.parse(r.due_at) - Date.parse(r.requested_at)).toBe(REQUEST_DEADLINE_S * 1000);
    expect((await mine(fay.key, 'POST')).body.data!.request_id).toBe(r.request_id);
    expect(await db.waveErasureRequest.count({ where: { userId: fay.user.id } })).toBe(1);

    // Only compliance decides, in its own tenant, and a rejection needs its reason.
    expect((await compliance(bob.key, 'GET', '/erasure-requests')).status).toBe(403);
    expect((await compliance(bob.key, 'POST', `/erasure-requests/${r.request_id}/approve`, {})).status).toBe(403);
    const stranger = await newTenant(db, { roles: ['admin'] });
    expect((await compliance(stranger.apiKey.key, 'POST', `/erasure-requests/${r.request_id}/approve`, {})).status).toBe(404);
    for (const bad of [{}, { note: '' }, { note: 'x', mode: 'delete' }]) {
      const res = await compliance<unknown>(carol, 'POST', `/erasure-requests/${r.request_id}/reject`, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error?.code).toBe('VALIDATION_ERROR');
    }
    expect((await compliance(carol, 'POST', `/erasure-requests/${r.request_id}/approve`, { mode: 'shred' })).status).toBe(400);
    expect((await db.waveErasureRequest.findUniqueOrThrow({ where: { id: r.request_id } })).status).toBe('pending');

    // The deadline is Temporal's timer: the worker is killed once it is set, the deadline passes with none
    // running, and the next worker marks the request overdue.
    const deadline = s.api.deps.temporal.workflow.getHandle(workflowIds.erasureRequest(r.request_id));
    await waitUntil('deadline timer set', async () => (await deadline.fetchHistory()).events!.some((ev) => ev.timerStartedEventAttributes), 120_000);
    process.kill(-s.worker.proc.child.pid!, 'SIGKILL');
    await s.worker.proc.exited;
    await waitUntil('deadline passed', async () => Date.now() > Date.parse(r.due_at) + 1000, 60_000);
    expect((await mine(fay.key, 'GET')).body.data!.overdue_at).toBeNull();
    s.worker = await s.startWorker();
    expect(await deadline.result()).toBe('overdue');
    await captureHistory('erasureRequestWorkflow--overdue-after-kill', deadline);
    const overdue = (await mine(fay.key, 'GET')).body.data!;
    expect(overdue).toMatchObject({ status: 'pending' });
    expect(Date.parse(overdue.overdue_at!)).toBeGreaterThanOrEqual(Date.parse(r.due_at));
    const cliEnv = { ...s.env, SCAIWAVE_SCAIGRID_URL: grid.url };
    const listed = await runScaiwave(['erasure', 'list', '--overdue', '--tenant', t.tenant.slug, '--json'], cliEnv);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { requests: RequestView[] }).requests.map((x) => x.request_id)).toContain(r.request_id);
    const overdueApi = await compliance<{ requests: RequestView[] }>(carol, 'GET', '/erasure-requests?overdue=true');
    expect(overdueApi.body.data!.requests.map((x) => x.request_id)).toContain(r.request_id);

    // Approval requests the erasure; asking again answers the same; a rejection now conflicts.
    const approved = await compliance<RequestView>(carol, 'POST', `/erasure-requests/${r.request_id}/approve`, { note: 'no obligation to keep' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.data!).toMatchObject({ status: 'approved', decision_note: 'no obligation to keep' });
    const erasureId = approved.body.data!.erasure_id!;
    expect((await compliance<RequestView>(carol, 'POST', `/erasure-requests/${r.request_id}/approve`, {})).body.data!.erasure_id).toBe(erasureId);
    expect((await compliance(carol, 'POST', `/erasure-requests/${r.request_id}/reject`, { note: 'changed my mind' })).status).toBe(409);
    const done = await completed(erasureId);
    expect(done.user_id).toBe(fay.user.id);
    expect((await mine(fay.key, 'GET')).status).toBe(401);
    expect((await runScaiwave(['erasure', 'list', '--overdue', '--tenant', t.tenant.slug], cliEnv)).stdout).not.toContain(r.request_id);

    // A rejection, through the CLI: the user reads why, the deadline stops, and they may ask again.
    const gus = await person('gus');
    const asked = (await mine(gus.key, 'POST')).body.data!;
    const rejected = await runScaiwave(['erasure', 'reject', asked.request_id, '--tenant', t.tenant.slug, '--note', 'kept for a tax audit until 2027'], cliEnv);
    expect(rejected.code, rejected.stderr).toBe(0);
    expect((await mine(gus.key, 'GET')).body.data!).toMatchObject({ status: 'rejected', decision_note: 'kept for a tax audit until 2027', erasure_id: null });
    expect(await s.api.deps.temporal.workflow.getHandle(workflowIds.erasureRequest(asked.request_id)).result()).toBe('decided');
    const again = (await mine(gus.key, 'POST')).body.data!;
    expect(again.request_id).not.toBe(asked.request_id);
    expect(again.status).toBe('pending');

    // No one decides their own.
    const own = (await mine(carol, 'POST')).body.data!;
    expect((await compliance(carol, 'POST', `/erasure-requests/${own.request_id}/approve`, {})).status).toBe(409);
  }, 900_000);

  it("export bundles that may hold the user: listed by default, deleted where the tenant's policy says", async () => {
    const ivy = await person('ivy');
    const roomId = await newRoom('exported');
    expect((await wave(ivy.key, 'POST', `/rooms/${roomId}/join`)).status).toBe(200);
    await post(ivy.key, roomId, phrase(41));
    const exported = await wave<{ id: string }>(carol, 'POST', `/rooms/${roomId}/exports`, {});
    expect(exported.status, JSON.stringify(exported.body)).toBe(202);
    const exportId = exported.body.data!.id;
    await waitUntil('export completed', async () => (await wave<{ status: string }>(carol, 'GET', `/exports/${exportId}`)).body.data?.status === 'completed', 300_000);
    const bundle = await db.waveExport.findUniqueOrThrow({ where: { id: exportId } });
    const bucket = config.env.SCAIWAVE_S3_BUCKET;
    await s.api.deps.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: bundle.objectKey }));

    const features = (await db.tenant.findUniqueOrThrow({ where: { id: t.tenant.id } })).features as Prisma.JsonObject | null;
    await db.tenant.update({ where: { id: t.tenant.id }, data: { features: { ...features, erasure: { delete_export_bundles: true } } } });
    try {
      const started = await compliance<ErasureView>(carol, 'POST', '/erasures', { user_id: ivy.user.id });
      const done = await completed(started.body.data!.erasure_id);
      const receipt = done.receipts.find((r) => r.store === 'exports')!;
      expect(receipt.removed).toBe(1);
      expect(receipt.proof[0]).toMatchObject({ policy: 'delete', bundles_deleted: [{ export_id: exportId, object_key: bundle.objectKey }] });
    } finally {
      await db.tenant.update({ where: { id: t.tenant.id }, data: { features: features ?? {} } });
    }
    await expect(s.api.deps.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: bundle.objectKey }))).rejects.toMatchObject({ name: 'NotFound' });
    expect((await wave(carol, 'GET', `/exports/${exportId}`)).body.data).toMatchObject({ status: 'erased', download_url: null });
  }, 900_000);

  it('a worker SIGKILLed after a batch, runs continuing as new: every message erased once, one event each', async () => {
    const erin = await person('erin');
    const roomId = await newRoom('bulk');
    expect((await wave(erin.key, 'POST', `/rooms/${roomId}/join`)).status).toBe(200);
    const room = await db.waveRoom.findUniqueOrThrow({ where: { id: roomId } });
    const count = 450;
    const rows = Array.from({ length: count }, (_, i) => ({
      id: newId(),
      tenantId: t.tenant.id,
      roomId,
      seq: room.lastSeq + BigInt(i + 1),
      authorId: erin.user.id,
      body: `${marker} bulk ${i}`,
      mentions: [],
    }));
    await db.waveMessage.createMany({ data: rows });
    await db.waveRoom.update({ where: { id: roomId }, data: { lastSeq: room.lastSeq + BigInt(count) } });

    const e = await requestUserErasure(db, { tenantId: t.tenant.id, userId: t.user.id }, { userId: erin.user.id }, 'delete');
    await s.worker.proc.stop(5000);
    const crashing = await startWorkerProcess({ ...s.env, CRASH_AT: 'eraseUserMessages:after' }, 'test/support/crash-worker.ts');
    await startUserErasure(s.api.deps, e, { batchesPerRun: 2 });
    expect(await crashing.proc.exited).not.toBe(0);
    s.worker = await s.startWorker();
    const done = await completed(e.id);
    // The last run, started by continue-as-new with where the one before left off.
    await captureHistory('eraseUserWorkflow--continued-after-kill', s.api.deps.temporal.workflow.getHandle(workflowIds.eraseUser(erin.user.id)));

    const messages = done.receipts.find((r) => r.store === 'messages')!;
    expect(messages.removed).toBe(count);
    expect(messages.batches).toBe(3);
    expect(await db.waveMessage.count({ where: { id: { in: rows.map((r) => r.id) } } })).toBe(0);
    const events = await db.$queryRawUnsafe<{ n: bigint }[]>(
      "SELECT COUNT(*) AS n FROM wave_outbox WHERE room_id = ? AND JSON_VALUE(payload, '$.type') = 'message.deleted'",
      roomId,
    );
    expect(Number(events[0]!.n)).toBe(count);
    const runs = [];
    for await (const run of s.api.deps.temporal.workflow.list({ query: `WorkflowId = "${workflowIds.eraseUser(erin.user.id)}"` })) runs.push(run.runId);
    expect(runs.length).toBeGreaterThan(1);
    expect((await scan(done, { email: erin.email, phrases: [`${marker} bulk 7`] })).hits).toEqual([]);
  }, 900_000);

  it('a worker SIGKILLed after every step in turn: the erasure finishes, each store done exactly once', async () => {
    const hana = await person('hana');
    const roomId = await newRoom('every-step');
    expect((await wave(hana.key, 'POST', `/rooms/${roomId}/join`)).status).toBe(200);
    const mine = [await post(hana.key, roomId, phrase(31)), await post(hana.key, roomId, phrase(32)), await post(hana.key, roomId, phrase(33))];
    expect((await wave(hana.key, 'PATCH', `/rooms/${roomId}/messages/${mine[0]}`, { body: phrase(34) })).status).toBe(200);
    const bobs = await post(bob.key, roomId, 'bob asks hana', { mentions: [hana.user.id] });
    expect((await wave(hana.key, 'PUT', `/rooms/${roomId}/messages/${bobs}/reactions/${encodeURIComponent('🎉')}`)).status).toBe(200);
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(`minutes: ${phrase(35)}\n`)]), `${marker}-minutes.txt`);
    const media = await call<{ id: string }>(s.api.url, 'POST', `/v1/wave/rooms/${roomId}/media`, { token: hana.key, body: form });
    expect([201, 202], JSON.stringify(media.body)).toContain(media.status);
    await waitUntil('media scanned', async () => (await db.waveMedia.findUniqueOrThrow({ where: { id: media.body.data!.id } })).scanStatus !== 'pending_scan', 120_000);
    const job = await transcribe(s.api.url, hana.key, speak('seven green apples on the table'), { force_async: 'true' });
    expect(job.status, JSON.stringify(job.body)).toBe(202);
    await waitForJob(s.api.url, hana.key, job.body.data!.job_id);

    // Every step of the erasure kills the worker once, right after its work and before Temporal hears of it.
    const steps = Object.keys(userErasureActivities({} as Parameters<typeof userErasureActivities>[0]));
    const onceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-erasure-kills-'));
    await s.worker.proc.stop(5000);
    const e = await requestUserErasure(db, { tenantId: t.tenant.id, userId: t.user.id }, { userId: hana.user.id }, 'redact');
    await startUserErasure(s.api.deps, e);
    let finished = false;
    const done = waitUntil('erasure completed', async () => (finished = (await db.waveUserErasure.findUniqueOrThrow({ where: { id: e.id } })).status === 'completed'), 3_600_000);
    let workers = 0;
    while (!finished) {
      const crashing = await startWorkerProcess({ ...s.env, CRASH_AT: steps.map((step) => `${step}:after`).join(','), CRASH_ONCE_DIR: onceDir }, 'test/support/crash-worker.ts');
      workers += 1;
      if (!(await Promise.race([crashing.proc.exited.then(() => true), done.then(() => false)]))) await crashing.proc.stop(5000);
    }
    // The last kill may come after the record says completed: a plain worker finishes the run.
    s.worker = await s.startWorker();
    expect(await s.api.deps.temporal.workflow.getHandle(workflowIds.eraseUser(hana.user.id)).result()).toMatchObject({ phase: 'completed' });
    const spent = fs.readdirSync(onceDir);
    fs.rmSync(onceDir, { recursive: true, force: true });
    expect(workers).toBeGreaterThanOrEqual(spent.length);
    for (const step of ['eraseUserIdentity', 'deleteErasedUserJobs', 'eraseUserMessages', 'anonymiseUserMentions', 'removeUserReactions', 'eraseUserMedia', 'rewriteUserRoomEvents', 'pseudonymiseUserUsage', 'pseudonymiseUserColumn', 'completeUserErasure']) {
      expect(spent, step).toContain(step);
    }

    const view = (await compliance<ErasureView>(carol, 'GET', `/erasures/${e.id}`)).body.data!;
    const receipt = Object.fromEntries(view.receipts.map((r) => [r.store, r]));
    expect(receipt.messages!.removed).toBe(mine.length);
    expect(receipt.mentions!.removed).toBe(1);
    expect(receipt.reactions!.removed).toBe(1);
    expect(receipt.scaiecho_jobs!.removed).toBe(1);
    expect(receipt.media!.proof.flatMap((p) => p.object_keys_deleted as string[])).toHaveLength(2);
    const deletions = await db.$queryRawUnsafe<{ n: bigint }[]>(
      "SELECT COUNT(*) AS n FROM wave_outbox WHERE room_id = ? AND JSON_VALUE(payload, '$.type') = 'message.deleted'",
      roomId,
    );
    expect(Number(deletions[0]!.n)).toBe(mine.length);
    expect((await scan(view, { email: hana.email, phrases: [phrase(31), phrase(34), phrase(35), `${marker}-minutes`] })).hits).toEqual([]);
  }, 3_600_000);
});
