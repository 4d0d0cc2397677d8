import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { eicarTestFile } from '../devstack/clamd.js';
import { waitUntil } from '../devstack/ports.js';
import { createApiKey } from '../lib/auth/api-keys.js';
import { streamName, subject } from '../lib/infra/nats.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { createUser } from '../lib/tenancy/users.js';
import { waveRoomsStream, type WaveEvent } from '../domains/wave/events.js';
import { startWorkerProcess, type WorkerProcess } from './support/processes.js';
import { TINY_PNG } from './support/wave.js';
import { call, newTenant, testConfig, testDb, uniq, type ApiAnswer } from './support/stack.js';

// The ScaiWave data plane through the API, as clients use it: workspaces,
// rooms, membership, messages and media, with a real worker scanning uploads
// with clamd and the API relaying every change to JetStream.

interface Room {
  id: string;
  visibility: string;
}
interface Message {
  id: string;
  seq: string;
  body: string | null;
  author_id: string;
  deleted: { at: string; by: string } | null;
  reactions: { emoji: string; count: number; mine: boolean }[];
}
interface Page {
  messages: Message[];
  has_older: boolean;
  has_newer: boolean;
}
interface Media {
  id: string;
  scan_status: string;
  content_type: string;
}

describe('ScaiWave rooms, messages and media', () => {
  const db = testDb();
  const config = testConfig();
  let api: RunningApi;
  let worker: WorkerProcess;
  let nc: NatsConnection;
  let t: Provisioned;
  /** API keys of the tenant's people: its admin, and three members */
  const key: Record<'admin' | 'alice' | 'bob' | 'gus' | 'eve', string> = { admin: '', alice: '', bob: '', gus: '', eve: '' };
  const userId: Record<string, string> = {};
  let workspaceId: string;

  const as = <T,>(who: keyof typeof key, method: string, path: string, json?: unknown): Promise<ApiAnswer<T>> =>
    call<T>(api.url, method, `/v1/wave${path}`, { token: key[who], json });

  async function person(tenantId: string, name: string, roles: string[]): Promise<string> {
    const user = await createUser(db, { tenantId, subject: uniq(name), roles });
    userId[name] = user.id;
    return (await createApiKey(db, { tenantId, userId: user.id, name })).key;
  }

  async function room(who: keyof typeof key, body: Record<string, unknown>): Promise<Room> {
    const res = await as<Room>(who, 'POST', `/workspaces/${workspaceId}/rooms`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.data!;
  }

  async function post(who: keyof typeof key, roomId: string, body: string, extra: Record<string, unknown> = {}): Promise<Message> {
    const res = await as<Message>(who, 'POST', `/rooms/${roomId}/messages`, { body, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.data!;
  }

  beforeAll(async () => {
    [api, worker] = await Promise.all([startApi(config, { port: 0 }), startWorkerProcess()]);
    nc = await connect({ servers: config.env.SCAIWAVE_NATS_URL.replace(/^nats:\/\//, '') });
    t = await newTenant(db, { roles: ['admin'] });
    key.admin = t.apiKey.key;
    userId.admin = t.user.id;
    key.alice = await person(t.tenant.id, 'alice', ['member']);
    key.bob = await person(t.tenant.id, 'bob', ['member']);
    key.gus = await person(t.tenant.id, 'gus', ['member']);
    const other = await newTenant(db, { roles: ['admin'] });
    key.eve = other.apiKey.key;
    const ws = await as<{ id: string }>('admin', 'POST', '/workspaces', { slug: uniq('ws'), name: 'Engineering' });
    expect(ws.status, JSON.stringify(ws.body)).toBe(201);
    workspaceId = ws.body.data!.id;
  }, 240_000);
  afterAll(async () => {
    await worker?.proc.stop(5000);
    await api?.close();
    await nc?.close();
    await db.$disconnect();
  });

  it('workspaces: tenant admins create them, members list them, another tenant finds nothing', async () => {
    expect((await as('alice', 'POST', '/workspaces', { slug: uniq('ws'), name: 'Mine' })).status).toBe(403);
    const slug = uniq('ws');
    expect((await as('admin', 'POST', '/workspaces', { slug, name: 'Ops' })).status).toBe(201);
    expect((await as('admin', 'POST', '/workspaces', { slug, name: 'Ops again' })).body.error?.code).toBe('CONFLICT');
    const listed = await as<{ id: string }[]>('alice', 'GET', '/workspaces');
    expect(listed.body.data!.map((w) => w.id)).toContain(workspaceId);
    expect((await as<{ id: string }[]>('eve', 'GET', '/workspaces')).body.data!.map((w) => w.id)).not.toContain(workspaceId);
    expect((await as('eve', 'GET', `/workspaces/${workspaceId}/rooms`)).status).toBe(404);
    expect((await as('eve', 'POST', `/workspaces/${workspaceId}/rooms`, { kind: 'channel', name: 'x' })).status).toBe(404);
  });

  it('a private group: only its members read it; everyone else, in the tenant or not, gets 404', async () => {
    const group = await room('alice', { kind: 'group', name: 'secret plans' });
    await post('alice', group.id, 'the plan');
    for (const path of [`/rooms/${group.id}`, `/rooms/${group.id}/messages`, `/rooms/${group.id}/members`]) {
      expect((await as('bob', 'GET', path)).status, path).toBe(404);
      expect((await as('eve', 'GET', path)).status, path).toBe(404);
    }
    expect((await as('bob', 'POST', `/rooms/${group.id}/join`)).status).toBe(404);
    const listed = await as<Room[]>('bob', 'GET', `/workspaces/${workspaceId}/rooms`);
    expect(listed.body.data!.map((r) => r.id)).not.toContain(group.id);

    expect((await as('alice', 'POST', `/rooms/${group.id}/members`, { user_id: userId.bob })).status).toBe(201);
    const read = await as<Page>('bob', 'GET', `/rooms/${group.id}/messages`);
    expect(read.body.data!.messages.map((m) => m.body)).toEqual(['the plan']);
    // Inviting someone of another tenant: no such user here.
    const eveId = (await call<{ user_id: string }>(api.url, 'GET', '/v1/me', { token: key.eve })).body.data!.user_id;
    expect((await as('alice', 'POST', `/rooms/${group.id}/members`, { user_id: eveId })).status).toBe(404);
  });

  it('a public channel: anyone of the tenant reads it, only members post; guests cannot invite', async () => {
    const channel = await room('alice', { kind: 'channel', name: uniq('general') });
    await post('alice', channel.id, 'welcome');
    expect((await as<Page>('bob', 'GET', `/rooms/${channel.id}/messages`)).status).toBe(200);
    const refused = await as('bob', 'POST', `/rooms/${channel.id}/messages`, { body: 'hi' });
    expect(refused.status).toBe(403);
    expect((await as('bob', 'POST', `/rooms/${channel.id}/join`)).status).toBe(200);
    await post('bob', channel.id, 'hi');

    expect((await as('alice', 'POST', `/rooms/${channel.id}/members`, { user_id: userId.gus, role: 'guest' })).status).toBe(201);
    expect((await as('gus', 'POST', `/rooms/${channel.id}/members`, { user_id: userId.admin })).status).toBe(403);
    // A member cannot make someone admin; the owner can.
    expect((await as('bob', 'PUT', `/rooms/${channel.id}/members/${userId.gus}`, { role: 'member' })).status).toBe(403);
    expect((await as('alice', 'PUT', `/rooms/${channel.id}/members/${userId.bob}`, { role: 'admin' })).status).toBe(200);
    // The last owner cannot leave.
    expect((await as('alice', 'POST', `/rooms/${channel.id}/leave`)).body.error?.code).toBe('CONFLICT');
  });

  it('only the author edits (the old text kept as a revision); authors and room admins delete, leaving a tombstone', async () => {
    const channel = await room('alice', { kind: 'channel', name: uniq('edits') });
    await as('bob', 'POST', `/rooms/${channel.id}/join`);
    const mine = await post('bob', channel.id, 'frist');
    expect((await as('alice', 'PATCH', `/rooms/${channel.id}/messages/${mine.id}`, { body: 'first' })).status).toBe(403);
    const edited = await as<Message>('bob', 'PATCH', `/rooms/${channel.id}/messages/${mine.id}`, { body: 'first' });
    expect(edited.body.data).toMatchObject({ body: 'first' });
    const history = await as<{ body: string }[]>('bob', 'GET', `/rooms/${channel.id}/messages/${mine.id}/revisions`);
    expect(history.body.data!.map((r) => r.body)).toEqual(['frist']);
    await as('gus', 'POST', `/rooms/${channel.id}/join`);
    expect((await as('gus', 'GET', `/rooms/${channel.id}/messages/${mine.id}/revisions`)).status).toBe(403);
    expect((await as('gus', 'DELETE', `/rooms/${channel.id}/messages/${mine.id}`)).status).toBe(403);

    // The room's owner deletes bob's message: the text goes, revisions included; who and when stay.
    const deleted = await as<Message>('alice', 'DELETE', `/rooms/${channel.id}/messages/${mine.id}`);
    expect(deleted.body.data).toMatchObject({ body: null, deleted: { by: userId.alice } });
    const after = await as<{ body: string | null }[]>('alice', 'GET', `/rooms/${channel.id}/messages/${mine.id}/revisions`);
    expect(after.body.data!.map((r) => r.body)).toEqual([null]);
    const listed = (await as<Page>('gus', 'GET', `/rooms/${channel.id}/messages`)).body.data!.messages;
    expect(listed.find((m) => m.id === mine.id)).toMatchObject({ body: null, deleted: { by: userId.alice } });
    expect((await as('bob', 'PATCH', `/rooms/${channel.id}/messages/${mine.id}`, { body: 'back' })).body.error?.code).toBe('CONFLICT');
  });

  it('mentions, threads and reactions are checked: non-members, nested threads, oversized bodies refused with the field named', async () => {
    const channel = await room('alice', { kind: 'channel', name: uniq('threads') });
    const notMember = await as('alice', 'POST', `/rooms/${channel.id}/messages`, { body: 'hey @bob', mentions: [userId.bob] });
    expect(notMember.status).toBe(400);
    expect(notMember.body.error?.message).toContain('mentions');
    await as('bob', 'POST', `/rooms/${channel.id}/join`);
    const top = await post('alice', channel.id, 'hey @bob', { mentions: [userId.bob] });
    const r1 = await post('bob', channel.id, 'yes?', { thread_parent_id: top.id });
    await post('alice', channel.id, 'lunch?', { thread_parent_id: top.id });
    const nested = await as('bob', 'POST', `/rooms/${channel.id}/messages`, { body: 'deeper', thread_parent_id: r1.id });
    expect(nested.status).toBe(400);
    expect(nested.body.error?.message).toContain('thread_parent_id');
    const big = await as('alice', 'POST', `/rooms/${channel.id}/messages`, { body: 'x'.repeat(16_001) });
    expect(big.status).toBe(400);
    expect(big.body.error?.message).toContain('body');

    const thread = await as<{ parent: Message; replies: Message[] }>('bob', 'GET', `/rooms/${channel.id}/messages/${top.id}/thread`);
    expect(thread.body.data!.replies.map((m) => m.body)).toEqual(['yes?', 'lunch?']);
    // Replies live in the thread, not in the room's pages.
    expect((await as<Page>('bob', 'GET', `/rooms/${channel.id}/messages`)).body.data!.messages.map((m) => m.body)).toEqual(['hey @bob']);

    const reacted = await as<Message>('bob', 'PUT', `/rooms/${channel.id}/messages/${top.id}/reactions/${encodeURIComponent('👍')}`);
    expect(reacted.body.data!.reactions).toEqual([{ emoji: '👍', count: 1, mine: true }]);
    await as('bob', 'PUT', `/rooms/${channel.id}/messages/${top.id}/reactions/${encodeURIComponent('👍')}`);
    const seenByAlice = (await as<Page>('alice', 'GET', `/rooms/${channel.id}/messages`)).body.data!.messages[0]!;
    expect(seenByAlice.reactions).toEqual([{ emoji: '👍', count: 1, mine: false }]);
  });

  it('pages both ways over posts made concurrently: every message once, in order, no gaps', async () => {
    const channel = await room('alice', { kind: 'channel', name: uniq('busy') });
    await as('bob', 'POST', `/rooms/${channel.id}/join`);
    const posts = Array.from({ length: 40 }, (_, i) => post(i % 2 ? 'bob' : 'alice', channel.id, `m${i}`));
    const made = await Promise.all(posts);
    expect(new Set(made.map((m) => m.seq)).size).toBe(40);

    const backwards: string[] = [];
    let query = '?limit=7';
    for (;;) {
      const page = (await as<Page>('bob', 'GET', `/rooms/${channel.id}/messages${query}`)).body.data!;
      backwards.unshift(...page.messages.map((m) => m.seq));
      if (!page.has_older) break;
      query = `?limit=7&before=${page.messages[0]!.seq}`;
    }
    const forwards: string[] = [];
    query = '?limit=9&after=0';
    for (;;) {
      const page = (await as<Page>('bob', 'GET', `/rooms/${channel.id}/messages${query}`)).body.data!;
      forwards.push(...page.messages.map((m) => m.seq));
      if (!page.has_newer) break;
      query = `?limit=9&after=${page.messages.at(-1)!.seq}`;
    }
    const all = Array.from({ length: 40 }, (_, i) => String(i + 1));
    expect(backwards).toEqual(all);
    expect(forwards).toEqual(all);

    const twentieth = made.find((m) => m.seq === '20')!;
    const around = (await as<Page>('bob', 'GET', `/rooms/${channel.id}/messages?around=${twentieth.id}&limit=5`)).body.data!;
    expect(around.messages.map((m) => m.seq)).toEqual(['18', '19', '20', '21', '22']);
    expect((await as('bob', 'GET', `/rooms/${channel.id}/messages?before=5&after=2`)).status).toBe(400);
  });

  async function upload(who: keyof typeof key, roomId: string, bytes: Buffer, name: string): Promise<ApiAnswer<Media>> {
    const form = new FormData();
    form.append('file', new Blob([bytes]), name);
    return call<Media>(api.url, 'POST', `/v1/wave/rooms/${roomId}/media`, { token: key[who], body: form });
  }
  async function scanned(who: keyof typeof key, mediaId: string): Promise<Media> {
    let media: Media | undefined;
    await waitUntil('the scan', async () => {
      media = (await as<Media>(who, 'GET', `/media/${mediaId}`)).body.data;
      return media !== undefined && media.scan_status !== 'pending_scan';
    }, 120_000);
    return media!;
  }

  it('media: the EICAR test file is quarantined and never downloadable; a clean file only by those who may read its room', async () => {
    const group = await room('alice', { kind: 'group', name: 'files' });
    const eicar = await upload('alice', group.id, eicarTestFile(), 'eicar.txt');
    expect(eicar.status, JSON.stringify(eicar.body)).toBe(202);
    expect(eicar.body.data!.scan_status).toBe('pending_scan');
    expect((await scanned('alice', eicar.body.data!.id)).scan_status).toBe('infected');
    expect((await as('alice', 'GET', `/media/${eicar.body.data!.id}/content`)).status).toBe(403);

    const png = await upload('alice', group.id, TINY_PNG, 'photo.exe');
    expect(png.body.data!.content_type).toBe('image/png');
    expect((await scanned('alice', png.body.data!.id)).scan_status).toBe('clean');
    const res = await fetch(`${api.url}/v1/wave/media/${png.body.data!.id}/content`, { headers: { Authorization: `Bearer ${key.alice}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('attachment');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(TINY_PNG);
    for (const who of ['bob', 'eve'] as const) {
      expect((await as(who, 'GET', `/media/${png.body.data!.id}/content`)).status, who).toBe(404);
      expect((await as(who, 'GET', `/media/${png.body.data!.id}`)).status, who).toBe(404);
    }
    expect((await upload('bob', group.id, TINY_PNG, 'x.png')).status).toBe(404);
  });

  it('a deployment with scanning off stores uploads as unscanned, says so on the row, and serves them', async () => {
    const unscanning = await startApi(testConfig({ SCAIWAVE_CLAMAV_URL: '' }), { port: 0 });
    try {
      const group = await room('alice', { kind: 'group', name: 'no scanner' });
      const form = new FormData();
      form.append('file', new Blob([TINY_PNG]), 'pic.png');
      const stored = await call<Media>(unscanning.url, 'POST', `/v1/wave/rooms/${group.id}/media`, { token: key.alice, body: form });
      expect(stored.status, JSON.stringify(stored.body)).toBe(201);
      expect(stored.body.data!.scan_status).toBe('unscanned');
      expect((await as<Media>('alice', 'GET', `/media/${stored.body.data!.id}`)).body.data!.scan_status).toBe('unscanned');
      expect((await call(unscanning.url, 'GET', `/v1/wave/media/${stored.body.data!.id}/content`, { token: key.alice })).status).toBe(200);
    } finally {
      await unscanning.close();
    }
  });

  it("every change of a room reaches JetStream, in the order it happened, with ids and no text", async () => {
    const channel = await room('alice', { kind: 'channel', name: uniq('events') });
    await as('bob', 'POST', `/rooms/${channel.id}/join`);
    const m = await post('bob', channel.id, 'a secret word');
    await as('bob', 'PATCH', `/rooms/${channel.id}/messages/${m.id}`, { body: 'another secret' });
    await as('alice', 'DELETE', `/rooms/${channel.id}/messages/${m.id}`);

    const jsm = await nc.jetstreamManager();
    const name = streamName(config, waveRoomsStream.name);
    const expected = ['room.created', 'member.joined', 'member.joined', 'message.posted', 'message.edited', 'message.deleted'];
    await waitUntil('the room events relayed', async () =>
      (await db.waveOutbox.count({ where: { roomId: channel.id, streamSeq: { not: null } } })) === expected.length,
    );
    // Read back from the stream itself, in the stream's order.
    const rows = await db.waveOutbox.findMany({ where: { roomId: channel.id }, orderBy: { streamSeq: 'asc' } });
    const events: WaveEvent[] = [];
    for (const row of rows) {
      const msg = await jsm.streams.getMessage(name, { seq: Number(row.streamSeq) });
      expect(msg.subject).toBe(subject(config, `wave.${t.tenant.id}.rooms.${channel.id}.${row.payload && (row.payload as { type: string }).type}`));
      events.push(msg.json<WaveEvent>());
    }
    expect(events.map((e) => e.type)).toEqual(expected);
    expect(events.every((e) => e.roomId === channel.id && e.tenantId === t.tenant.id)).toBe(true);
    expect(JSON.stringify(events)).not.toContain('secret');
  });
});
