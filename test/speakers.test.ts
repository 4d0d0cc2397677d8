import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../api/server.js';
import { waitUntil } from '../devstack/ports.js';
import { newId } from '../lib/infra/ids.js';
import { createLogger } from '../lib/infra/logger.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { withDiarizeNode } from '../lib/scaiinfer/diarize/client.js';
import { ENGINE_DIARIZE } from '../lib/scaiinfer/node-registry.js';
import { startEnrollment } from '../domains/speakers/client.js';
import { consentObjectKey, embeddingObjectKey, referenceObjectKey, speakerPrefix } from '../domains/speakers/speakers.js';
import { WarmRegistry } from '../domains/speakers/warm-registry.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import { speakerAbandonedSignal } from '../domains/speakers/workflows/enrollment.js';
import { captureHistory } from './support/histories.js';
import { startScaiEchoStack, transcribe, waitForJob, type RefNode, type ScaiEchoStack } from './support/scaiecho.js';
import { durationMs, speak } from './support/speech.js';
import { call, newTenant, testConfig, testDb, type ApiAnswer } from './support/stack.js';
import { storedInput } from './support/sealed-inputs.js';

const SHELLS = 'She sells sea shells by the sea shore, and the shells she sells are surely sea shells.';
const CONSENT = 'I agree that my voice may be enrolled for speaker attribution.';

interface Speaker {
  speaker_id: string;
  display_name: string | null;
  enrollment_status: string;
  status_reason: string | null;
  consent: { text_version: string; captured_by: string; withdrawn_at: string | null } | null;
  erasure_id: string | null;
  poll_url?: string;
}
interface Warm {
  warm_node_ids: string[];
  candidate_node_ids: string[];
  stale_node_ids: string[];
}
interface Erasure {
  erasure_id: string;
  payload_keys_destroyed: string[] | null;
  status: string;
  reason: string;
  pending_node_ids: string[] | null;
  receipt: { node_id: string; outcome: string; acknowledged_at: string }[];
  tombstoned_at: string | null;
  audited_at: string | null;
}

describe('ScaiEcho speakers: enrollment, warm registry, attribution, erasure', () => {
  const db = testDb();
  let s: ScaiEchoStack;
  let t: Provisioned;
  let warm: WarmRegistry;
  const base = '/v1/modules/scaiecho';

  beforeAll(async () => {
    s = await startScaiEchoStack({ diarizers: 3 });
    t = await newTenant(db, { tier: 'pro' });
    warm = new WarmRegistry(s.api.deps.redis);
  }, 240_000);
  afterAll(async () => {
    await s?.stop();
    await db.$disconnect();
  });

  const api = <T>(method: string, path: string, token = t.apiKey.key, opts: { body?: FormData } = {}): Promise<ApiAnswer<T>> =>
    call<T>(s.api.url, method, `${base}${path}`, { token, ...opts });

  function enrollForm(reference: string | Buffer, fields: Record<string, string> = {}, consent: string | null = speak(CONSENT)): FormData {
    const form = new FormData();
    form.append('display_name', fields.display_name ?? 'Ada');
    form.append('consent_text_version', fields.consent_text_version ?? 'v3');
    form.append('reference_audio', new Blob([typeof reference === 'string' ? fs.readFileSync(reference) : reference]), 'reference.wav');
    if (consent) form.append('consent_recording', new Blob([fs.readFileSync(consent)]), 'consent.wav');
    return form;
  }

  async function enroll(voice: 'slt' | 'rms' | 'awb', name: string, token = t.apiKey.key): Promise<{ id: string; status: string }> {
    const res = await api<Speaker>('POST', '/speakers', token, { body: enrollForm(speak(SHELLS, voice), { display_name: name }) });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const id = res.body.data!.speaker_id;
    const { status } = await s.api.deps.temporal.workflow.getHandle(workflowIds.enrollSpeaker(id)).result();
    return { id, status };
  }

  const warmOf = async (id: string): Promise<Warm> => (await api<Warm>('GET', `/speakers/${id}/warm`)).body.data!;
  const online = async (): Promise<string[]> => (await s.api.deps.registry.online(ENGINE_DIARIZE)).map((n) => n.nodeId).sort();
  const ids = (nodes: RefNode[]): string[] => nodes.map((n) => n.nodeId).sort();

  async function setOnline(nodes: RefNode[], mode: 'ok' | 'offline'): Promise<void> {
    for (const n of nodes) await n.fault(mode);
    await waitUntil(`nodes ${mode}`, async () => {
      const now = await online();
      return nodes.every((n) => now.includes(n.nodeId) === (mode === 'ok'));
    }, 20_000);
  }

  /** What each node says it holds, asked over gRPC as the platform would. */
  const holdersPerNode = async (speakerId: string, nodes: RefNode[]): Promise<string[]> => {
    const answers = await Promise.all(nodes.map(async (n) => ((await withDiarizeNode(n.grpcAddress, 5000, (c) => c.listSpeakers([speakerId]))).length ? [n.nodeId] : [])));
    return answers.flat().sort();
  };

  const objectExists = (Key: string) =>
    s.api.deps.s3.send(new HeadObjectCommand({ Bucket: s.api.deps.config.env.SCAIWAVE_S3_BUCKET, Key })).then(
      () => true,
      () => false,
    );

  it('three nodes, one offline: ready on two; back online it is a candidate; re-warm makes three warm', async () => {
    const [d1, d2, d3] = s.diarizers as [RefNode, RefNode, RefNode];
    await setOnline([d3], 'offline');
    const res = await api<Speaker>('POST', '/speakers', t.apiKey.key, { body: enrollForm(speak(SHELLS, 'slt'), { display_name: 'Grace Hopper' }) });
    expect(res.status).toBe(202);
    expect(res.body.data).toMatchObject({ enrollment_status: 'pending', display_name: 'Grace Hopper', consent: { text_version: 'v3', captured_by: t.user.id } });
    const id = res.body.data!.speaker_id;
    expect(res.body.data!.poll_url).toBe(`${base}/speakers/${id}`);
    const handle = s.api.deps.temporal.workflow.getHandle(workflowIds.enrollSpeaker(id));
    expect(await handle.result()).toEqual({ status: 'ready' });
    expect((await api<Speaker>('GET', `/speakers/${id}`)).body.data).toMatchObject({ enrollment_status: 'ready', status_reason: null });
    expect(await warmOf(id)).toEqual({ speaker_id: id, warm_node_ids: ids([d1, d2]), candidate_node_ids: [], stale_node_ids: [] });
    for (const key of [referenceObjectKey(id, 'wav'), consentObjectKey(id, 'wav'), embeddingObjectKey(id)]) expect(await objectExists(key)).toBe(true);
    expect((await handle.describe()).searchAttributes).toMatchObject({ TenantId: [t.tenant.id], JobKind: ['scaiecho.speaker_enrollment'], SubjectId: [id], JobStatus: ['ready'] });
    // Ids and object keys only: no name, no audio, no embedding in the history.
    const history = JSON.stringify(await handle.fetchHistory());
    expect(history).not.toMatch(/Grace|Hopper|UklGR|"values"/);
    await captureHistory('enrollSpeakerWorkflow--ready', handle);

    await setOnline([d3], 'ok');
    expect(await warmOf(id)).toMatchObject({ warm_node_ids: ids([d1, d2]), candidate_node_ids: [d3.nodeId], stale_node_ids: [] });
    const rewarm = await api<{ poll_url: string }>('POST', `/speakers/${id}/warm`);
    expect(rewarm.status).toBe(202);
    const rewarmHandle = s.api.deps.temporal.workflow.getHandle(workflowIds.rewarmSpeaker(id));
    expect(await rewarmHandle.result()).toEqual({ status: 'ready' });
    expect(await warmOf(id)).toMatchObject({ warm_node_ids: ids([d1, d2, d3]), candidate_node_ids: [], stale_node_ids: [] });
    await captureHistory('rewarmSpeakerWorkflow--ready', rewarmHandle);
  }, 120_000);

  it('all nodes offline: pending with the reason; they return and a re-warm makes it ready', async () => {
    await setOnline(s.diarizers, 'offline');
    try {
      const { id, status } = await enroll('rms', 'Linus');
      expect(status).toBe('pending');
      const got = (await api<Speaker>('GET', `/speakers/${id}`)).body.data!;
      expect(got.enrollment_status).toBe('pending');
      expect(got.status_reason).toMatch(/no diarization node is online.*re-warm/);
      expect(await warmOf(id)).toEqual({ speaker_id: id, warm_node_ids: [], candidate_node_ids: [], stale_node_ids: [] });
      await setOnline(s.diarizers, 'ok');
      await api('POST', `/speakers/${id}/warm`);
      expect(await s.api.deps.temporal.workflow.getHandle(workflowIds.rewarmSpeaker(id)).result()).toEqual({ status: 'ready' });
      expect((await warmOf(id)).warm_node_ids).toEqual(ids(s.diarizers));
    } finally {
      await setOnline(s.diarizers, 'ok');
    }
  }, 120_000);

  it('labels a two-speaker recording with the enrolled speakers, and the labels survive erasure', async () => {
    const u = await newTenant(db, { tier: 'pro' });
    const alice = await enroll('slt', 'Alice', u.apiKey.key);
    const bob = await enroll('rms', 'Bob', u.apiKey.key);
    expect([alice.status, bob.status]).toEqual(['ready', 'ready']);
    // Alice, a second of silence, then Bob; the switch is in the middle of the silence.
    const first = speak('the quick brown fox jumped over the lazy dog', 'slt');
    const second = speak('please call stella and ask her to bring these things', 'rms');
    const pause = first.replace(/\.wav$/, '-pause.wav');
    const both = first.replace(/\.wav$/, '-dialogue.wav');
    execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', pause, 'trim', '0', '1']);
    execFileSync('sox', [first, pause, second, both]);
    const switchMs = durationMs(first) + 500;

    const res = await transcribe(s.api.url, u.apiKey.key, both, { speakers: 'true' });
    expect(res.status).toBe(202);
    const done = await waitForJob(s.api.url, u.apiKey.key, res.body.data!.job_id);
    expect(done.status).toBe('completed');
    expect(done.status_reason).toBeNull();
    const segments = done.segments!;
    expect(segments.some((g) => g.start_ms < switchMs) && segments.some((g) => g.start_ms > switchMs)).toBe(true);
    for (const g of segments) {
      expect(g.end_ms < switchMs || g.start_ms > switchMs).toBe(true);
      expect([g.speaker_id, g.speaker_label]).toEqual(g.start_ms < switchMs ? [alice.id, 'Alice'] : [bob.id, 'Bob']);
    }
    await captureHistory('transcriptionJobWorkflow--attributed', s.api.deps.temporal.workflow.getHandle(workflowIds.transcribe(done.job_id)));

    // Naming only Bob: Alice's voice is left unlabelled, never pinned on Bob.
    const onlyBob = await transcribe(s.api.url, u.apiKey.key, both, { speakers: bob.id });
    const bobJob = await waitForJob(s.api.url, u.apiKey.key, onlyBob.body.data!.job_id);
    const bobSegments = bobJob.segments!;
    expect(bobSegments.filter((g) => g.start_ms < switchMs).every((g) => !g.speaker_id)).toBe(true);
    expect(bobSegments.some((g) => g.speaker_id === bob.id)).toBe(true);

    const erased = await api<Erasure>('DELETE', `/speakers/${alice.id}`, u.apiKey.key);
    await s.api.deps.temporal.workflow.getHandle(workflowIds.eraseSpeaker(alice.id)).result();
    expect(erased.status).toBe(202);
    const after = await waitForJob(s.api.url, u.apiKey.key, done.job_id);
    expect(after.segments).toEqual(done.segments);
    const unknown = await transcribe(s.api.url, u.apiKey.key, both, { speakers: alice.id });
    expect(unknown.status).toBe(400);
  }, 180_000);

  it('erasure with a node offline: finishes once it returns, with a receipt per node; the audit row is immutable in SQL', async () => {
    const [d1, d2, d3] = s.diarizers as [RefNode, RefNode, RefNode];
    const { id } = await enroll('awb', 'Ada Lovelace');
    expect(await holdersPerNode(id, s.diarizers)).toEqual(ids(s.diarizers));
    const keys = [referenceObjectKey(id, 'wav'), consentObjectKey(id, 'wav'), embeddingObjectKey(id)];
    // The enrollment's input, sealed under the speaker's own key: readable until the erasure completes.
    const enrollment = s.api.deps.temporal.workflow.getHandle(workflowIds.enrollSpeaker(id));
    const sealedInput = await storedInput(s.api.deps.config, enrollment);
    expect(sealedInput).toMatchObject({ sealed: true, opens: true });
    await setOnline([d2], 'offline');
    let erasureId: string;
    try {
      const first = await api<Erasure>('DELETE', `/speakers/${id}`);
      expect(first.status).toBe(202);
      erasureId = first.body.data!.erasure_id;
      const handle = s.api.deps.temporal.workflow.getHandle(workflowIds.eraseSpeaker(id));
      const { runId } = await handle.describe();
      const again = await api<Erasure>('DELETE', `/speakers/${id}`);
      expect(again.body.data!.erasure_id).toBe(erasureId);
      expect((await handle.describe()).runId).toBe(runId);

      let progress: Erasure | undefined;
      await waitUntil('the online nodes acknowledged', async () => {
        progress = (await api<Erasure>('GET', `/erasures/${erasureId}`)).body.data;
        return progress?.receipt.length === 2;
      }, 30_000);
      expect(progress).toMatchObject({ status: 'running', reason: 'deletion', pending_node_ids: [d2.nodeId] });
      expect(progress!.receipt.map((r) => r.node_id).sort()).toEqual(ids([d1, d3]));
      expect(progress!.tombstoned_at).not.toBeNull();
      for (const key of keys) expect(await objectExists(key)).toBe(false);
      const tomb = (await api<Speaker>('GET', `/speakers/${id}`)).body.data!;
      expect(tomb).toMatchObject({ enrollment_status: 'erased', display_name: null, erasure_id: erasureId });
      expect(await s.api.deps.temporal.workflow.getHandle(workflowIds.eraseSpeaker(id)).describe()).toMatchObject({ status: { name: 'RUNNING' } });
    } finally {
      await setOnline([d2], 'ok');
    }

    const handle = s.api.deps.temporal.workflow.getHandle(workflowIds.eraseSpeaker(id));
    expect(await handle.result()).toEqual({ status: 'completed' });
    await captureHistory('eraseSpeakerWorkflow--node-returned', handle);
    const done = (await api<Erasure>('GET', `/erasures/${erasureId}`)).body.data!;
    expect(done).toMatchObject({ status: 'completed', pending_node_ids: [], objects_deleted: 3 });
    expect(done.receipt.map((r) => [r.node_id, r.outcome]).sort()).toEqual(ids(s.diarizers).map((n) => [n, 'evicted']));
    // Crypto-shredded: the key is gone, so the history Temporal keeps of the enrollment opens for no one.
    expect(done.payload_keys_destroyed).toEqual([sealedInput.keyId]);
    expect(await storedInput(s.api.deps.config, enrollment)).toEqual({ sealed: true, keyId: sealedInput.keyId, opens: false });
    const ackOf = (n: RefNode) => Date.parse(done.receipt.find((r) => r.node_id === n.nodeId)!.acknowledged_at);
    expect(ackOf(d2)).toBeGreaterThan(Math.max(ackOf(d1), ackOf(d3)));
    expect(await holdersPerNode(id, s.diarizers)).toEqual([]);
    expect(await warm.mayHold(id)).toEqual([]);
    const listed = await s.api.deps.s3.send(new ListObjectsV2Command({ Bucket: s.api.deps.config.env.SCAIWAVE_S3_BUCKET, Prefix: speakerPrefix(id) }));
    expect(listed.KeyCount ?? 0).toBe(0);

    const audit = await db.erasureAudit.findUniqueOrThrow({ where: { id: erasureId! } });
    expect(audit).toMatchObject({ speakerId: id, tenantId: t.tenant.id, reason: 'deletion', requestedByUserId: t.user.id });
    expect([...(audit.deletedObjects as string[])].sort()).toEqual([...keys].sort());
    await expect(db.$executeRawUnsafe("UPDATE mod_scaiecho_erasure_audit SET reason = 'tampered' WHERE id = ?", erasureId!)).rejects.toThrow(/append-only/);
    await expect(db.$executeRawUnsafe('DELETE FROM mod_scaiecho_erasure_audit WHERE id = ?', erasureId!)).rejects.toThrow(/append-only/);
    await expect(db.$executeRawUnsafe('DELETE FROM mod_scaiecho_erasure_receipt WHERE erasure_id = ?', erasureId!)).rejects.toThrow(/append-only/);
    await expect(db.$executeRawUnsafe("UPDATE mod_scaiecho_erasure_receipt SET outcome = 'x' WHERE erasure_id = ?", erasureId!)).rejects.toThrow(/append-only/);
    expect(await db.erasureReceipt.count({ where: { erasureId: erasureId! } })).toBe(3);

    // Once complete, asking again answers with the same erasure and starts nothing.
    const late = await api<Erasure>('DELETE', `/speakers/${id}`);
    expect(late.body.data).toMatchObject({ erasure_id: erasureId!, status: 'completed' });
    const runs = async (): Promise<string[]> => {
      const statuses: string[] = [];
      for await (const w of s.api.deps.temporal.workflow.list({ query: `WorkflowId = '${workflowIds.eraseSpeaker(id)}'` })) statuses.push(w.status.name);
      return statuses;
    };
    await waitUntil('visibility caught up', async () => (await runs()).includes('COMPLETED'), 20_000);
    expect(await runs()).toEqual(['COMPLETED']);
  }, 180_000);

  it('withdrawing consent runs the same erasure; a node an operator removes counts as done', async () => {
    const extra = await s.startDiarizer();
    const { id } = await enroll('slt', 'Withdrawn');
    expect(await holdersPerNode(id, [extra])).toEqual([extra.nodeId]);
    await setOnline([extra], 'offline');
    const res = await api<Erasure>('POST', `/speakers/${id}/consent/withdraw`);
    expect(res.status).toBe(202);
    expect(res.body.data).toMatchObject({ reason: 'consent_withdrawn', status: 'running' });
    const erasureId = res.body.data!.erasure_id;
    expect((await api<Erasure>('DELETE', `/speakers/${id}`)).body.data!.erasure_id).toBe(erasureId);
    await waitUntil('only the offline node is left', async () => {
      const e = (await api<Erasure>('GET', `/erasures/${erasureId}`)).body.data!;
      return e.pending_node_ids?.join() === extra.nodeId;
    }, 30_000);

    const removed = await call(s.api.url, 'DELETE', `/v1/admin/nodes/${extra.nodeId}`, { token: s.api.deps.config.env.SCAIWAVE_SERVICE_TOKEN });
    expect(removed.status).toBe(200);
    expect(await s.api.deps.temporal.workflow.getHandle(workflowIds.eraseSpeaker(id)).result()).toEqual({ status: 'completed' });
    const done = (await api<Erasure>('GET', `/erasures/${erasureId}`)).body.data!;
    expect(done.receipt.find((r) => r.node_id === extra.nodeId)?.outcome).toBe('node_removed');
    expect((await api<Speaker>('GET', `/speakers/${id}`)).body.data!.consent?.withdrawn_at).not.toBeNull();
    // The removed node may not rejoin under its id, still holding what it held.
    await extra.fault('ok');
    await new Promise((r) => setTimeout(r, 2000));
    expect(await online()).not.toContain(extra.nodeId);
  }, 120_000);

  it('a worker killed during the fan-out: the new worker finishes; registry, nodes and profile agree', async () => {
    const [d1] = s.diarizers as [RefNode];
    const res = await api<Speaker>('POST', '/speakers', t.apiKey.key, { body: enrollForm(speak(SHELLS, 'rms'), { display_name: 'Killed Midway' }) });
    const id = res.body.data!.speaker_id;
    const handle = s.api.deps.temporal.workflow.getHandle(workflowIds.enrollSpeaker(id));
    await d1.fault('stall');
    try {
      await waitUntil('fan-out under way', async () => (await handle.query<{ phase: string }>('progress')).phase === 'fanning_out', 30_000);
      await waitUntil('an acceptance stalled on a node', async () => Number((await d1.stats()).in_flight) > 0, 30_000);
      process.kill(-s.worker.proc.child.pid!, 'SIGKILL');
      await s.worker.proc.exited;
    } finally {
      await d1.fault('ok');
    }
    await s.startWorker();
    expect(await handle.result()).toEqual({ status: 'ready' });
    await captureHistory('enrollSpeakerWorkflow--worker-killed', handle);
    const nodesHolding = await holdersPerNode(id, s.diarizers.slice(0, 3));
    expect(nodesHolding).toEqual(ids(s.diarizers.slice(0, 3)));
    expect(await warm.holders(id)).toEqual(nodesHolding);
    expect((await api<Speaker>('GET', `/speakers/${id}`)).body.data!.enrollment_status).toBe('ready');
    expect(await db.speakerProfile.count({ where: { displayName: 'Killed Midway' } })).toBe(1);
  }, 180_000);

  it('a route that cannot store the speaker answers 503, and its enrollment workflow is abandoned with nothing left', async () => {
    const u = await newTenant(db);
    // Refused by S3 on every put; its error log is the expected outcome, so it is kept quiet.
    const broken = await startApi(testConfig({ ...s.env, SCAIWAVE_S3_SECRET_KEY: 'not-the-secret' }), { port: 0, logger: createLogger('broken-api', 'silent') });
    try {
      const res = await call(broken.url, 'POST', `${base}/speakers`, { token: u.apiKey.key, body: enrollForm(speak(SHELLS)) });
      expect(res.status).toBe(503);
      expect(res.body.error?.message).toMatch(/nothing was kept/);
    } finally {
      await broken.close();
    }
    const query = `TenantId = '${u.tenant.id}' AND JobKind = 'scaiecho.speaker_enrollment'`;
    let workflowId: string | undefined;
    await waitUntil('the enrollment workflow is visible', async () => {
      for await (const w of s.api.deps.temporal.workflow.list({ query })) workflowId = w.workflowId;
      return workflowId !== undefined;
    }, 20_000);
    expect(await s.api.deps.temporal.workflow.getHandle(workflowId!).result()).toEqual({ status: 'abandoned' });
    expect(await db.speakerProfile.count({ where: { tenantId: u.tenant.id } })).toBe(0);
    expect(await db.speakerConsent.count({ where: { tenantId: u.tenant.id } })).toBe(0);
  });

  it('a route that fails part-way leaves no orphans: the enrollment workflow removes what was stored', async () => {
    const speakerId = newId();
    const handle = await startEnrollment(s.api.deps, { tenantId: t.tenant.id, tenantSlug: t.tenant.slug }, speakerId);
    const Bucket = s.api.deps.config.env.SCAIWAVE_S3_BUCKET;
    await s.api.deps.s3.send(new PutObjectCommand({ Bucket, Key: referenceObjectKey(speakerId, 'wav'), Body: fs.readFileSync(speak(SHELLS)) }));
    await handle.signal(speakerAbandonedSignal);
    expect(await handle.result()).toEqual({ status: 'abandoned' });
    await captureHistory('enrollSpeakerWorkflow--abandoned', handle);
    expect(await objectExists(referenceObjectKey(speakerId, 'wav'))).toBe(false);
    expect(await db.speakerProfile.count({ where: { id: speakerId } })).toBe(0);
  });

  it('refuses bad audio with 422 and a reason a person can act on, and stores nothing', async () => {
    const u = await newTenant(db);
    const full = speak(SHELLS);
    const short = full.replace(/\.wav$/, '-short.wav');
    execFileSync('sox', [full, short, 'trim', '0', '1.5']);
    const tooShort = await api<Speaker>('POST', '/speakers', u.apiKey.key, { body: enrollForm(short) });
    expect(tooShort.status).toBe(422);
    expect(tooShort.body.error?.code).toBe('UNPROCESSABLE_ENTITY');
    expect(tooShort.body.error?.message).toMatch(/1\.5 s long; record at least 3\.0 s/);
    expect(tooShort.body.error?.details).toMatchObject({ problems: [{ code: 'too_short' }] });

    const silence = full.replace(/\.wav$/, '-silence.wav');
    execFileSync('sox', ['-n', '-r', '16000', '-b', '16', '-c', '1', silence, 'synth', '5', 'whitenoise', 'vol', '0.0005']);
    const silent = await api<Speaker>('POST', '/speakers', u.apiKey.key, { body: enrollForm(silence) });
    expect(silent.status).toBe(422);
    expect(silent.body.error?.message).toMatch(/speech; talk throughout/);

    const clipped = full.replace(/\.wav$/, '-clipped.wav');
    execFileSync('sox', [full, clipped, 'gain', '24'], { stdio: 'ignore' });
    const loud = await api<Speaker>('POST', '/speakers', u.apiKey.key, { body: enrollForm(clipped) });
    expect(loud.status).toBe(422);
    expect(loud.body.error?.message).toMatch(/clipped; lower the microphone gain/);

    const notAudio = await api('POST', '/speakers', u.apiKey.key, { body: enrollForm(Buffer.from('meeting notes, not a voice')) });
    expect(notAudio.status).toBe(415);
    expect(notAudio.body.error?.message).toMatch(/^reference_audio: /);
    const noConsent = await api('POST', '/speakers', u.apiKey.key, { body: enrollForm(full, {}, null) });
    expect(noConsent.status).toBe(400);
    expect(noConsent.body.error?.message).toMatch(/consent_recording/);
    expect(await db.speakerProfile.count({ where: { tenantId: u.tenant.id } })).toBe(0);
  });

  it('hides another tenant’s speakers and erasures behind 404; lists the tenant’s own with a cursor', async () => {
    const u = await newTenant(db, { tier: 'pro' });
    const a = await enroll('slt', 'First', u.apiKey.key);
    const b = await enroll('rms', 'Second', u.apiKey.key);
    const erasure = (await api<Erasure>('DELETE', `/speakers/${a.id}`, u.apiKey.key)).body.data!;
    const other = await newTenant(db);
    for (const [method, path] of [
      ['GET', `/speakers/${b.id}`],
      ['GET', `/speakers/${b.id}/warm`],
      ['POST', `/speakers/${b.id}/warm`],
      ['DELETE', `/speakers/${b.id}`],
      ['POST', `/speakers/${b.id}/consent/withdraw`],
      ['GET', `/erasures/${erasure.erasure_id}`],
    ] as const) {
      const res = await api(method, path, other.apiKey.key);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error?.code).toBe('NOT_FOUND');
    }
    expect((await api<{ speakers: unknown[] }>('GET', '/speakers', other.apiKey.key)).body.data!.speakers).toEqual([]);
    expect((await db.speakerProfile.findUniqueOrThrow({ where: { id: b.id } })).enrollmentStatus).toBe('ready');

    const c = await enroll('awb', 'Third', u.apiKey.key);
    const page1 = await api<{ speakers: Speaker[]; next_cursor: string | null }>('GET', '/speakers?limit=1', u.apiKey.key);
    expect(page1.body.data!.speakers.map((x) => x.speaker_id)).toEqual([c.id]);
    const page2 = await api<{ speakers: Speaker[]; next_cursor: string | null }>('GET', `/speakers?limit=1&cursor=${page1.body.data!.next_cursor}`, u.apiKey.key);
    expect(page2.body.data!.speakers.map((x) => x.speaker_id)).toEqual([b.id]);
    expect(page2.body.data!.next_cursor).toBeNull();
    await s.api.deps.temporal.workflow.getHandle(workflowIds.eraseSpeaker(a.id)).result();
    const erased = await api<{ speakers: Speaker[] }>('GET', '/speakers?status=erased', u.apiKey.key);
    expect(erased.body.data!.speakers).toMatchObject([{ speaker_id: a.id, display_name: null }]);
  }, 120_000);
});
