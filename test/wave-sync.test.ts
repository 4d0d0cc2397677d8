import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startApi, type RunningApi } from '../api/server.js';
import { createApiKey } from '../lib/auth/api-keys.js';
import { createUser } from '../lib/tenancy/users.js';
import { eventLogCutoff, EVENT_LOG_RETENTION_MS, pruneEventLog } from '../domains/wave/event-retention.js';
import { waitUntil } from '../devstack/ports.js';
import { startApiProcess } from './support/processes.js';
import { call, newTenant, testConfig, testDb, uniq, type ApiAnswer } from './support/stack.js';

// Delivery of room events to clients: the long-poll sync and the WebSocket,
// with cursors to resume from, for the rooms the caller is in and no others.

interface WaveEvent {
  type: string;
  roomId: string;
  messageId?: string;
  cursor: string;
}
interface Batch {
  events: WaveEvent[];
  messages: { id: string; body: string | null }[];
  cursor: string;
}
type Frame = ({ type: 'events' } & Batch) | { type: 'heartbeat'; cursor: string };

describe('ScaiWave sync and WebSocket', () => {
  const db = testDb();
  let api: RunningApi;
  const key: Record<'alice' | 'bob' | 'eve' | 'carol', string> = { alice: '', bob: '', eve: '', carol: '' };
  let joined: string;
  let notJoined: string;
  let tenantId: string;

  const as = <T,>(who: keyof typeof key, method: string, path: string, json?: unknown): Promise<ApiAnswer<T>> =>
    call<T>(api.url, method, `/v1/wave${path}`, { token: key[who], json });
  const post = async (roomId: string, body: string): Promise<string> => {
    const res = await as<{ id: string }>('alice', 'POST', `/rooms/${roomId}/messages`, { body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.data!.id;
  };
  const sync = async (who: keyof typeof key, query: string): Promise<Batch> => {
    const res = await as<Batch>(who, 'GET', `/sync${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.data!;
  };
  const cursorNow = async (who: keyof typeof key): Promise<string> => (await sync(who, '')).cursor;

  beforeAll(async () => {
    api = await startApi(testConfig({ SCAIWAVE_WAVE_WS_HEARTBEAT_MS: '1000' }), { port: 0 });
    const t = await newTenant(db, { roles: ['admin'] });
    tenantId = t.tenant.id;
    key.alice = t.apiKey.key;
    const bob = await createUser(db, { tenantId: t.tenant.id, subject: uniq('bob'), roles: ['member'] });
    key.bob = (await createApiKey(db, { tenantId: t.tenant.id, userId: bob.id, name: 'bob' })).key;
    key.eve = (await newTenant(db)).apiKey.key;
    const ws = (await as<{ id: string }>('alice', 'POST', '/workspaces', { slug: uniq('ws'), name: 'Sync' })).body.data!;
    joined = (await as<{ id: string }>('alice', 'POST', `/workspaces/${ws.id}/rooms`, { kind: 'channel', name: 'joined' })).body.data!.id;
    notJoined = (await as<{ id: string }>('alice', 'POST', `/workspaces/${ws.id}/rooms`, { kind: 'channel', name: 'other' })).body.data!.id;
    expect((await as('bob', 'POST', `/rooms/${joined}/join`)).status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await db.$disconnect();
  });

  it('a waiting sync wakes for a post in a room the caller is in, never for one it is not in', async () => {
    const since = await cursorNow('bob');
    const waiting = sync('bob', `?since=${since}&wait_ms=30000`);
    await post(notJoined, 'not for bob');
    const id = await post(joined, 'for bob');
    // A busy machine may let the wait run out first, and bob's own join (made just before) may reach
    // the log only now: read on from each answer's cursor until the post arrives.
    const events: WaveEvent[] = [];
    const messages: Batch['messages'] = [];
    let batch = await waiting;
    for (;;) {
      events.push(...batch.events);
      messages.push(...batch.messages);
      if (events.some((e) => e.messageId === id)) break;
      batch = await sync('bob', `?since=${batch.cursor}&wait_ms=30000`);
    }
    expect(events.filter((e) => e.type.startsWith('message.')).map((e) => [e.type, e.roomId])).toEqual([['message.posted', joined]]);
    expect(events.every((e) => e.roomId === joined)).toBe(true);
    expect(messages).toEqual([expect.objectContaining({ id, body: 'for bob' })]);
  });

  it('a sync waiting on another API process wakes for a post made through this one: the relaying process rings it over NATS', async () => {
    // The other process relays nothing of its own within the test (a long poll interval, no commits of its own):
    // what wakes its waiter is the bell of the process that relayed the post.
    const other = await startApiProcess({ SCAIWAVE_WAVE_OUTBOX_POLL_MS: '60000', SCAIWAVE_WAVE_SYNC_TIMEOUT_MS: '120000' });
    const metricsThere = () => fetch(`${other.url}/metrics`).then((r) => r.text());
    try {
      // A process hears rings once its subscription is on the server; one rung before is missed by design (latency, not loss).
      await waitUntil('the other process listening for rings', async () => /^scaiwave_wave_bell_listening(\{[^}]*\})? 1$/m.test(await metricsThere()));
      const syncThere = async (since: string): Promise<Batch> => {
        const res = await call<Batch>(other.url, 'GET', `/v1/wave/sync?since=${since}&wait_ms=120000`, { token: key.bob });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        return res.body.data!;
      };
      // Nothing of the tenant's left to relay, so the post is the first event after the cursor.
      await waitUntil('earlier events relayed', async () => (await db.waveOutbox.count({ where: { tenantId, publishedAt: null } })) === 0);
      const since = await cursorNow('bob');
      const waiting = syncThere(since);
      // Posted only once the other process is waiting: a post relayed before it reads would be answered at once.
      await waitUntil('the sync waiting there', async () => /^scaiwave_wave_sync_waiting(\{[^}]*\})? [1-9]/m.test(await metricsThere()));
      const id = await post(joined, 'across processes');
      expect((await waiting).events.map((e) => e.messageId)).toEqual([id]);
      // The wait ended by a ring, not at its deadline: a wait that ran out would read the post from the log all the same, only late.
      const wakes = await metricsThere();
      expect(wakes).toMatch(/^scaiwave_wave_sync_wakes_total\{[^}]*reason="ring"[^}]*\} [1-9]/m);
      expect(wakes).not.toMatch(/reason="deadline"/);
    } finally {
      await other.proc.stop();
    }
  }, 600_000);

  it('resuming from each cursor gives every event once, in order; a room left is no longer delivered', async () => {
    const since = await cursorNow('bob');
    const ids = [await post(joined, 'one'), await post(joined, 'two'), await post(joined, 'three')];
    const seen: string[] = [];
    let cursor = since;
    while (seen.length < 3) {
      const batch = await sync('bob', `?since=${cursor}&wait_ms=30000`);
      seen.push(...batch.events.filter((e) => e.type === 'message.posted').map((e) => e.messageId!));
      cursor = batch.cursor;
    }
    expect(seen).toEqual(ids);

    expect((await as('bob', 'POST', `/rooms/${joined}/leave`)).status).toBe(200);
    const afterLeaving = await cursorNow('bob');
    await post(joined, 'bob is gone');
    expect((await sync('bob', `?since=${afterLeaving}&wait_ms=0`)).events).toEqual([]);
    expect((await as('bob', 'POST', `/rooms/${joined}/join`)).status).toBe(200);
  });

  it('a sync waiting when its caller leaves a room gets nothing of that room after the leaving', async () => {
    const since = await cursorNow('bob');
    const waiting = sync('bob', `?since=${since}&wait_ms=30000`);
    await waitUntil('the sync waiting', async () => /^scaiwave_wave_sync_waiting(\{[^}]*\})? [1-9]/m.test(await fetch(`${api.url}/metrics`).then((r) => r.text())));
    expect((await as('bob', 'POST', `/rooms/${joined}/leave`)).status).toBe(200);
    const id = await post(joined, 'after bob left');
    // Read on once the post is readable (alice sees it): a delivery of it to bob would have happened by then.
    await waitUntil('the post readable', async () => (await sync('alice', `?since=${since}&wait_ms=0`)).events.some((e) => e.messageId === id));
    const first = await waiting;
    const events = [...first.events, ...(await sync('bob', `?since=${first.cursor}&wait_ms=0`)).events];
    // Bob's own leaving may reach him (a socket gets it too); nothing said in the room after it does.
    expect(events.filter((e) => e.roomId === joined && !e.type.startsWith('member.'))).toEqual([]);
    expect((await as('bob', 'POST', `/rooms/${joined}/join`)).status).toBe(200);
  });

  it("a follower asking again from a cursor this process's feed has just read past is answered from the feed's recent events: what the log answers, nothing of a room it is not in", async () => {
    // Alice (in both rooms) keeps the tenant's feed reading on this process throughout.
    const watcher = socket('alice', `?cursor=${await cursorNow('alice')}`);
    await watcher.opened;
    /** Reads alice's frames until one has an event that `wanted` picks; answers that frame's cursor: the feed has read that far. */
    const readPast = async (wanted: (e: WaveEvent) => boolean): Promise<string> => {
      for (;;) {
        const batch = await watcher.next();
        if (batch.events.some(wanted)) return batch.cursor;
      }
    };
    const firstReads = async (source: 'feed' | 'log'): Promise<number> => {
      const text = await fetch(`${api.url}/metrics`).then((r) => r.text());
      return Number(new RegExp(`^scaiwave_wave_sync_first_reads_total\\{[^}]*source="${source}"[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    };
    try {
      const warm = await post(joined, 'before');
      const since = await readPast((e) => e.messageId === warm);
      const first = await post(joined, 'first');
      const hidden = await post(notJoined, 'not for bob');
      const second = await post(joined, 'second');
      expect((await as('alice', 'PATCH', `/rooms/${joined}/messages/${first}`, { body: 'first, edited' })).status).toBe(200);
      await readPast((e) => e.type === 'message.edited' && e.messageId === first);

      const fromFeedBefore = await firstReads('feed');
      const answer = await sync('bob', `?since=${since}&wait_ms=30000`);
      expect(await firstReads('feed')).toBe(fromFeedBefore + 1);
      expect(answer.events.map((e) => [e.type, e.messageId])).toEqual([
        ['message.posted', first],
        ['message.posted', second],
        ['message.edited', first],
      ]);
      // The messages as they are now: the first one edited.
      const byId = (b: Pick<Batch, 'messages'>) => [...b.messages].sort((x, y) => x.id.localeCompare(y.id));
      const expected = byId({ messages: [{ id: first, body: 'first, edited' }, { id: second, body: 'second' }] });
      expect(byId(answer)).toEqual(expected.map((m) => expect.objectContaining(m)));
      expect(answer.messages.map((m) => m.id)).not.toContain(hidden);
      // The log's answer for the same cursor (no wait: no feed joined) is the same.
      const fromLog = await sync('bob', `?since=${since}&wait_ms=0`);
      expect({ ...answer, messages: byId(answer) }).toEqual({ ...fromLog, messages: byId(fromLog) });
    } finally {
      await watcher.close();
    }
  });

  it('bad cursors and waits are refused with the field named', async () => {
    for (const q of ['?since=-1', '?since=abc', '?since=1&wait_ms=999999']) {
      const res = await as('bob', 'GET', `/sync${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error?.code).toBe('VALIDATION_ERROR');
    }
  });

  it('a cursor older than the kept events is refused as expired, by sync and WebSocket alike, never answered with a gap', async () => {
    // A tenant of its own: its log is pruned here.
    const t = await newTenant(db, { roles: ['admin'] });
    key.carol = t.apiKey.key;
    const ws = (await as<{ id: string }>('carol', 'POST', '/workspaces', { slug: uniq('ws'), name: 'Old' })).body.data!;
    const room = (await as<{ id: string }>('carol', 'POST', `/workspaces/${ws.id}/rooms`, { kind: 'channel', name: 'old' })).body.data!.id;
    /** Reads on from `since` until the message is in the log; answers the cursor after it. */
    const cursorAfter = async (since: string, messageId: string): Promise<string> => {
      for (let batch = await sync('carol', `?since=${since}&wait_ms=30000`); ; batch = await sync('carol', `?since=${batch.cursor}&wait_ms=30000`)) {
        if (batch.events.some((e) => e.messageId === messageId)) return batch.cursor;
      }
    };
    const start = await cursorNow('carol');
    const old = (await as<{ id: string }>('carol', 'POST', `/rooms/${room}/messages`, { body: 'from long ago' })).body.data!.id;
    const afterOld = await cursorAfter(start, old);
    const recent = (await as<{ id: string }>('carol', 'POST', `/rooms/${room}/messages`, { body: 'recent' })).body.data!.id;
    await cursorAfter(afterOld, recent);

    // Everything up to the old post happened longer ago than the log keeps.
    await db.$executeRaw`UPDATE wave_outbox SET created_at = ${new Date(Date.now() - EVENT_LOG_RETENTION_MS - 86_400_000)}
      WHERE tenant_id = ${t.tenant.id} AND stream_seq <= ${BigInt(afterOld)}`;
    expect(await pruneEventLog(db, t.tenant.id, eventLogCutoff(new Date()))).toBeGreaterThan(0);

    const expired = await as('carol', 'GET', `/sync?since=${start}`);
    expect(expired.status).toBe(410);
    expect(expired.body.error?.code).toBe('CURSOR_EXPIRED');
    await expect(socket('carol', `?cursor=${start}`).opened).rejects.toThrow('refused with 410');
    // From the newest pruned event on, nothing is missing: the recent post is there.
    expect((await sync('carol', `?since=${afterOld}`)).events.map((e) => e.messageId)).toContain(recent);
  });

  /** A WebSocket and the frames it has received; `next` waits for the next events frame. */
  function socket(who: keyof typeof key, query: string, viaQuery = false) {
    const url = `${api.url.replace('http', 'ws')}/v1/wave/ws${query}${viaQuery ? `${query ? '&' : '?'}access_token=${key[who]}` : ''}`;
    const ws = new WebSocket(url, viaQuery ? {} : { headers: { Authorization: `Bearer ${key[who]}` } });
    const frames: Frame[] = [];
    // Events frames not read yet, and readers waiting for one: nothing is missed between two next() calls.
    const unread: Batch[] = [];
    const waiting: ((b: Batch) => void)[] = [];
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      frames.push(frame);
      if (frame.type !== 'events') return;
      const reader = waiting.shift();
      if (reader) reader(frame);
      else unread.push(frame);
    });
    const opened = new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
      ws.once('error', reject);
    });
    const next = (): Promise<Batch> => {
      const ready = unread.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
    };
    const close = () => new Promise<void>((resolve) => (ws.once('close', () => resolve()), ws.close()));
    return { ws, frames, opened, next, close };
  }

  it('the WebSocket pushes posts as they happen, and a reconnect with the last cursor delivers what was missed, in order', async () => {
    const first = socket('bob', `?cursor=${await cursorNow('bob')}`);
    await first.opened;
    const id = await post(joined, 'pushed');
    // The previous test's last event (bob joining again) may still be on its way to the log: read past it.
    let batch = await first.next();
    const posted = (b: Batch) => b.events.filter((e) => e.type === 'message.posted').map((e) => e.messageId);
    while (posted(batch).length === 0) batch = await first.next();
    expect(posted(batch)).toEqual([id]);
    await first.close();

    const missed = [await post(joined, 'missed 1'), await post(joined, 'missed 2'), await post(notJoined, 'never')];
    const second = socket('bob', `?cursor=${batch.cursor}`, true);
    await second.opened;
    const got: string[] = [];
    while (got.length < 2) got.push(...(await second.next()).events.filter((e) => e.type === 'message.posted').map((e) => e.messageId!));
    expect(got).toEqual(missed.slice(0, 2));
    await second.close();
  });

  it('an open WebSocket gets heartbeats and shows its user online to the room; bad credentials are refused before the upgrade', async () => {
    const s = socket('bob', '');
    await s.opened;
    const presence = await as<{ user_id: string; status: string }[]>('alice', 'GET', `/rooms/${joined}/presence`);
    expect(presence.body.data!.map((p) => p.status)).toContain('online');
    while (!s.frames.some((f) => f.type === 'heartbeat')) await new Promise((r) => setTimeout(r, 100));
    await s.close();
    expect((await as('eve', 'GET', `/rooms/${joined}/presence`)).status).toBe(404);

    const refused = new WebSocket(`${api.url.replace('http', 'ws')}/v1/wave/ws`, { headers: { Authorization: 'Bearer sgk_nope' } });
    const status = await new Promise<number | undefined>((resolve) => {
      refused.once('unexpected-response', (_req, res) => resolve(res.statusCode));
      refused.once('open', () => resolve(101));
    });
    expect(status).toBe(401);
  });

  it("a WebSocket upgrade counts against the credential's rate limit like any request, refused with Retry-After", async () => {
    const t = await newTenant(db, { features: { rate_limits: { key_per_minute: 2 } } });
    key.carol = t.apiKey.key;
    for (let i = 0; i < 2; i++) {
      const s = socket('carol', '');
      await s.opened;
      await s.close();
    }
    const refused = new WebSocket(`${api.url.replace('http', 'ws')}/v1/wave/ws`, { headers: { Authorization: `Bearer ${key.carol}` } });
    const answer = await new Promise<{ status?: number; retryAfter?: string }>((resolve) => {
      refused.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode, retryAfter: res.headers['retry-after'] }));
      refused.once('open', () => resolve({ status: 101 }));
    });
    expect(answer.status).toBe(429);
    expect(Number(answer.retryAfter)).toBeGreaterThan(0);
  });
});
