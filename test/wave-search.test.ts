import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { waitUntil } from '../devstack/ports.js';
import { createApiKey } from '../lib/auth/api-keys.js';
import { loadConfig, type Config } from '../lib/config.js';
import { createDb, type Db } from '../lib/infra/db.js';
import { createLogger } from '../lib/infra/logger.js';
import { applyMigrations } from '../lib/infra/migrate.js';
import { streamName, subject } from '../lib/infra/nats.js';
import { SEARCH_CONSUMER, startSearchFeed } from '../domains/search/event-consumer.js';
import { startReindex } from '../domains/search/client.js';
import { openSearchIndex } from '../lib/search-index/open-index.js';
import { createTemporalClient } from '../lib/temporal/client.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { createUser } from '../lib/tenancy/users.js';
import { waveRoomsStream } from '../domains/wave/events.js';
import { runScaiwave } from './support/cli.js';
import { captureHistory } from './support/histories.js';
import { startWorkerProcess, type WorkerProcess } from './support/processes.js';
import { startTestScaiGrid, type TestScaiGrid } from './support/scaigrid.js';
import { call, idpToken, newTenant, uniq } from './support/stack.js';
import { indexProgressQuery, type IndexProgress } from '../domains/search/workflows/index.js';

// Search over room messages, end to end: posts go through the API, their
// events through the outbox to JetStream, the search feed signals the
// tenant's wave-search-index workflow, a worker embeds with the reference
// ScaiGrid (a real model) and writes the embedded index, and the API answers
// searches from it. The suite has a database, a NATS prefix, a task queue and
// an index directory of its own, so no other suite's processes relay, consume
// or index its events.

interface Hit {
  message_id: string;
  room_id: string;
  snippet: string;
  score: number;
}
interface Page {
  hits: Hit[];
  next_cursor: string | null;
}

describe('ScaiWave search: indexed from room events, answered within the rooms the caller is in', () => {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig(process.env);
  const searchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-search-'));
  let env: Record<string, string>;
  let config: Config;
  let db: Db;
  let grid: TestScaiGrid;
  let api: RunningApi;
  let worker: WorkerProcess;
  let temporal: ReturnType<typeof createTemporalClient>;
  let t: Provisioned;
  const key = { alice: '', bob: '', eve: '' };
  let shared: string;
  let secret: string;
  let bobSubject: string;

  beforeAll(async () => {
    grid = await startTestScaiGrid();
    env = {
      SCAIWAVE_DB_URL: `mysql://${base.db.user}:${base.db.password}@${base.db.host}:${base.db.port}/${base.db.database}_search_${runId}`,
      SCAIWAVE_NATS_PREFIX: `s${runId}`,
      SCAIWAVE_TEMPORAL_TASK_QUEUE: uniq('wave-search'),
      SCAIWAVE_SEARCH_DIR: searchDir,
      SCAIWAVE_SCAIGRID_URL: grid.url,
      SCAIWAVE_SCAIGRID_API_KEY: grid.platformKey,
      SCAIWAVE_WAVE_OUTBOX_POLL_MS: '200',
    };
    config = loadConfig({ ...process.env, ...env });
    await applyMigrations(config.db);
    db = createDb(config.db);
    api = await startApi(config, { port: 0 });
    worker = await startWorkerProcess(env);
    temporal = createTemporalClient(config);

    t = await newTenant(db, { roles: ['admin'] });
    key.alice = t.apiKey.key;
    bobSubject = uniq('bob');
    const bob = await createUser(db, { tenantId: t.tenant.id, subject: bobSubject, roles: ['member'] });
    key.bob = (await createApiKey(db, { tenantId: t.tenant.id, userId: bob.id, name: 'bob' })).key;
    key.eve = (await newTenant(db, { roles: ['admin'] })).apiKey.key;
    const ws = (await as<{ id: string }>('alice', 'POST', '/workspaces', { slug: uniq('ws'), name: 'Search' })).body.data!;
    shared = (await as<{ id: string }>('alice', 'POST', `/workspaces/${ws.id}/rooms`, { kind: 'channel', name: 'finance' })).body.data!.id;
    secret = (await as<{ id: string }>('alice', 'POST', `/workspaces/${ws.id}/rooms`, { kind: 'group', name: 'board' })).body.data!.id;
    expect((await as('bob', 'POST', `/rooms/${shared}/join`)).status).toBe(200);
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
    await db?.$executeRawUnsafe(`DROP DATABASE IF EXISTS \`${config.db.database}\``);
    await db?.$disconnect();
    fs.rmSync(searchDir, { recursive: true, force: true });
  });

  const as = <T,>(who: keyof typeof key, method: string, p: string, json?: unknown) => call<T>(api.url, method, `/v1/wave${p}`, { token: key[who], json });
  const post = async (roomId: string, body: string): Promise<string> => {
    const res = await as<{ id: string }>('alice', 'POST', `/rooms/${roomId}/messages`, { body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.data!.id;
  };
  const search = async (who: keyof typeof key, query: Record<string, string>): Promise<Page> => {
    const res = await as<Page>(who, 'GET', `/search?${new URLSearchParams(query)}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.data!;
  };
  const found = async (query: Record<string, string>, messageId: string, who: keyof typeof key = 'alice') =>
    (await search(who, query)).hits.some((h) => h.message_id === messageId);
  const indexProgress = (): Promise<IndexProgress> => temporal.client.workflow.getHandle(workflowIds.waveSearchIndex(t.tenant.id)).query(indexProgressQuery);
  const indexedAs = (q: string, messageId: string) => waitUntil(`"${q}" finds ${messageId}`, () => found({ q, mode: 'keyword' }, messageId), 120_000);

  it('finds a post by its words and by a paraphrase sharing none of them; only members see it, and no other tenant', async () => {
    const invoice = await post(shared, 'The quarterly invoice from our supplier is overdue and must be paid');
    await post(shared, 'Lunch on Friday will be pizza in the kitchen');
    await post(shared, 'The deployment pipeline failed again on the staging cluster');
    const board = await post(secret, 'The invoice for the merger lawyers stays confidential');
    await indexedAs('invoice', invoice);
    await indexedAs('merger', board);

    const words = await search('bob', { q: 'invoice', mode: 'keyword' });
    expect(words.hits.map((h) => h.message_id)).toEqual([invoice]);
    expect(words.hits[0]!.snippet).toContain('«invoice»');
    const meaning = await search('bob', { q: 'a bill that has not been settled yet', mode: 'semantic' });
    expect(meaning.hits[0]?.message_id).toBe(invoice);
    const both = await search('bob', { q: 'unpaid invoice', mode: 'hybrid' });
    expect(both.hits[0]?.message_id).toBe(invoice);
    // The private room's post is found by its member, never by anyone else.
    expect(await found({ q: 'merger' }, board, 'alice')).toBe(true);
    expect((await search('bob', { q: 'merger', mode: 'keyword' })).hits).toEqual([]);
    expect((await as('bob', 'GET', `/search?${new URLSearchParams({ q: 'merger', room: secret })}`)).status).toBe(404);
    expect((await search('eve', { q: 'invoice' })).hits).toEqual([]);

    await captureHistory('waveSearchIndexWorkflow--indexing', temporal.client.workflow.getHandle(workflowIds.waveSearchIndex(t.tenant.id)));
  }, 300_000);

  it('a burst of more than one feed batch, with the worker restarted in the middle of it: every message becomes searchable, each once', async () => {
    // Five words, each in 80 messages: a search reaches 100 hits (MAX_SEARCH_DEPTH).
    const groups = ['alder', 'birch', 'cedar', 'maple', 'rowan'].map((g) => `${g}${runId}`);
    const notes = groups.flatMap((word) => Array.from({ length: 80 }, (_, i) => ({ word, body: `Burst note ${i} about the ${word} delivery` })));
    const posted = new Map<string, string[]>(groups.map((g) => [g, []]));
    const postAll = async (batch: typeof notes) => {
      const queue = [...batch];
      const loop = async () => {
        for (let n = queue.shift(); n; n = queue.shift()) posted.get(n.word)!.push(await post(shared, n.body));
      };
      await Promise.all(Array.from({ length: 8 }, loop));
    };
    await waitUntil('the index idle', async () => (await indexProgress()).pending === 0, 120_000);
    const before = await indexProgress();

    await postAll(notes.slice(0, 100));
    // A graceful stop: the feed stops taking events, hands on and acknowledges what it holds.
    await worker.proc.stop(60_000);
    expect(await worker.proc.exited).toBe(0);
    // With no feed running these wait on the stream: more than one feed batch (256) for the next worker.
    await postAll(notes.slice(100));
    worker = await startWorkerProcess(env);

    await waitUntil('the burst indexed', async () => {
      const p = await indexProgress();
      return p.pending === 0 && p.indexed >= before.indexed + notes.length;
    }, 240_000);
    for (const word of groups) {
      const hits = async () => (await search('alice', { q: word, mode: 'keyword', limit: '100' })).hits.map((h) => h.message_id);
      await waitUntil(`all of ${word} found`, async () => (await hits()).length >= 80, 60_000);
      expect((await hits()).sort(), word).toEqual([...posted.get(word)!].sort());
    }
  }, 400_000);

  it('a message on the stream that is not a room event is set aside and does not hold up the ones behind it', async () => {
    const nc = await connect({ servers: config.env.SCAIWAVE_NATS_URL.replace(/^nats:\/\//, '') });
    try {
      await nc.jetstream().publish(subject(config, 'wave.junk.rooms.junk.message.posted'), new TextEncoder().encode('not json'));
    } finally {
      await nc.close();
    }
    const id = await post(shared, `After the junk comes the plover${runId}`);
    await indexedAs(`plover${runId}`, id);
  }, 300_000);

  it('an edit is searchable by its new words only; a deletion leaves no trace of the text in the index files', async () => {
    const marker = `zebrafinch${runId}`;
    const edited = `kestrel${runId}`;
    const id = await post(shared, `Meeting notes mention ${marker} twice: ${marker}`);
    await indexedAs(marker, id);
    expect((await as('alice', 'PATCH', `/rooms/${shared}/messages/${id}`, { body: `Meeting notes now mention ${edited}` })).status).toBe(200);
    await indexedAs(edited, id);
    expect(await found({ q: marker, mode: 'keyword' }, id)).toBe(false);

    const removedBefore = (await indexProgress()).removed;
    expect((await as('alice', 'DELETE', `/rooms/${shared}/messages/${id}`)).status).toBe(200);
    expect(await found({ q: edited, mode: 'keyword' }, id)).toBe(false);
    // Searches stop showing it at once (each hit is checked against MariaDB); the index drops it when its batch runs.
    await waitUntil('the deletion through the index', async () => {
      const p = await indexProgress();
      return p.removed > removedBefore && p.pending === 0;
    }, 120_000);
    // Both texts, the edited one and the one before the edit, are gone from every file of the index.
    const traces = filesUnder(searchDir).filter((f) => {
      const bytes = fs.readFileSync(f);
      return bytes.includes(marker) || bytes.includes(edited);
    });
    expect(traces).toEqual([]);
  }, 300_000);

  it('a worker killed after indexing a batch, before Temporal heard of it: the batch runs again and each message is found once', async () => {
    // Only the crashing worker polls the queue, and this process feeds it the events.
    await worker.proc.stop(5000);
    const crasher = await startWorkerProcess({ ...env, CRASH_AT: 'syncSearchIndex:after' }, 'test/support/crash-worker.ts');
    const feed = startSearchFeed(config, { temporal: temporal.client, config }, createLogger('search-feed-test', 'warn'));
    const marker = `osprey${runId}`;
    const before = await indexProgress();
    const ids = [await post(shared, `First ${marker} report`), await post(shared, `Second ${marker} report`)];
    try {
      expect(await crasher.proc.exited).toBe(128);
    } finally {
      await feed.close();
    }
    worker = await startWorkerProcess(env);
    // The killed attempt had written the batch; the retry writes it again and the workflow counts it once done.
    await waitUntil('the batch retried to the end', async () => {
      const p = await indexProgress();
      return p.batches > before.batches && p.pending === 0 && p.indexed >= before.indexed + ids.length;
    }, 180_000);
    const hits = (await search('alice', { q: marker, mode: 'keyword' })).hits.map((h) => h.message_id);
    expect(hits.sort()).toEqual([...ids].sort());
  }, 300_000);

  it('scaiwave search reindex rebuilds an emptied index from MariaDB, with progress, while deleted messages stay out', async () => {
    const kept = await post(shared, `Budget review heron${runId}`);
    const deleted = await post(shared, `Draft heron${runId} to discard`);
    await indexedAs(`heron${runId}`, kept);
    await indexedAs(`heron${runId}`, deleted);
    const removedBefore = (await indexProgress()).removed;
    expect((await as('alice', 'DELETE', `/rooms/${shared}/messages/${deleted}`)).status).toBe(200);
    // The purge below needs an index no batch is writing to: let the deletion's batch finish first.
    await waitUntil('the deletion through the index', async () => {
      const p = await indexProgress();
      return p.removed > removedBefore && p.pending === 0;
    }, 120_000);
    const index = await openSearchIndex(config.env);
    try {
      await index.purge(t.tenant.id);
    } finally {
      await index.close();
    }
    expect((await search('alice', { q: `heron${runId}`, mode: 'keyword' })).hits).toEqual([]);

    const run = await runScaiwave(['search', 'reindex', '--tenant', t.tenant.slug, '--json'], env, 300_000);
    expect(run.code, run.stderr).toBe(0);
    const outcome = JSON.parse(run.stdout) as { finished: boolean; total: number; done: number; indexed: number; removed: number };
    const messages = await db.waveMessage.count({ where: { tenantId: t.tenant.id } });
    const live = await db.waveMessage.count({ where: { tenantId: t.tenant.id, deletedAt: null } });
    expect(outcome).toMatchObject({ finished: true, total: messages, done: messages, indexed: live, removed: messages - live });
    expect(run.stderr).toMatch(/\] \d+\/\d+ messages/);
    const hits = (await search('alice', { q: `heron${runId}`, mode: 'keyword' })).hits.map((h) => h.message_id);
    expect(hits).toEqual([kept]);

    await captureHistory('waveSearchReindexWorkflow--completed', temporal.client.workflow.getHandle(workflowIds.waveSearchReindex(t.tenant.id)));
  }, 300_000);

  it('a worker killed after a reindex page, before Temporal heard of it: the run goes on from the last page it recorded and counts each message once', async () => {
    await worker.proc.stop(5000);
    const crasher = await startWorkerProcess({ ...env, CRASH_AT: 'reindexSearchPage:after' }, 'test/support/crash-worker.ts');
    const handle = await startReindex({ temporal: temporal.client, config }, { tenantId: t.tenant.id, roomId: shared });
    try {
      expect(await crasher.proc.exited).toBe(128);
    } finally {
      worker = await startWorkerProcess(env);
    }
    const outcome = await handle.result();
    const messages = await db.waveMessage.count({ where: { tenantId: t.tenant.id, roomId: shared } });
    const live = await db.waveMessage.count({ where: { tenantId: t.tenant.id, roomId: shared, deletedAt: null } });
    expect(outcome).toMatchObject({ finished: true, total: messages, done: messages, indexed: live, removed: messages - live });
    await captureHistory('waveSearchReindexWorkflow--worker-killed', handle);
  }, 300_000);

  it("a search with the user's own ScaiKey token embeds its words as that user; one with an API key uses the platform key", async () => {
    const q = new URLSearchParams({ q: 'a bill that has not been settled yet', mode: 'semantic' });
    const token = await idpToken({ sub: bobSubject, tenant: t.tenant.slug, roles: ['member'] });
    const before = await grid.stats();
    const byToken = await call<Page>(api.url, 'GET', `/v1/wave/search?${q}`, { token });
    expect(byToken.status, JSON.stringify(byToken.body)).toBe(200);
    const between = await grid.stats();
    expect(between.by_user_token - before.by_user_token).toBe(1);
    const byKey = await as<Page>('bob', 'GET', `/search?${q}`);
    expect(byKey.status).toBe(200);
    const after = await grid.stats();
    expect(after.by_user_token - between.by_user_token).toBe(0);
    expect(after.by_api_key - between.by_api_key).toBeGreaterThanOrEqual(1);
    // Both see the same messages: the credential decides whose call it is, not what the search finds.
    expect(byToken.body.data!.hits.map((h) => h.message_id)).toEqual(byKey.body.data!.hits.map((h) => h.message_id));
  }, 120_000);

  it("the feed's consumer deleted under it: the feed creates it again, and a message posted next is found", async () => {
    const nc = await connect({ servers: config.env.SCAIWAVE_NATS_URL.replace(/^nats:\/\//, '') });
    try {
      expect(await (await nc.jetstreamManager()).consumers.delete(streamName(config, waveRoomsStream.name), SEARCH_CONSUMER)).toBe(true);
    } finally {
      await nc.close();
    }
    // The new consumer starts from the stream's beginning: the suite's messages come again, and change nothing.
    const id = await post(shared, `Posted once the consumer was gone: the lapwing${runId}`);
    await indexedAs(`lapwing${runId}`, id);
  }, 300_000);
});

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
