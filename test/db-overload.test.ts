import { randomBytes, randomUUID } from 'node:crypto';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { waitUntil } from '../devstack/ports.js';
import type { Config } from '../lib/config.js';
import { isPoolExhausted } from '../lib/infra/db-overload.js';
import { createDb, createSqlPool, type Db, type SqlPool } from '../lib/infra/db.js';
import { applyMigrations } from '../lib/infra/migrate.js';
import { streamName } from '../lib/infra/nats.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { waveRoomsStream } from '../domains/wave/events.js';
import { call, newTenant, testConfig, uniq, type ApiAnswer } from './support/stack.js';

// An API process whose database pool has no connection free in time is
// overloaded, not broken: it answers 503 SERVICE_UNAVAILABLE with Retry-After,
// and the request it refused wrote nothing. The process here has a pool of one
// connection, and the suite holds that connection in an open transaction.

/** Runs `fn` while `db`'s only pooled connection sits in an open transaction. */
async function holdingTheConnection<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  let entered!: () => void;
  let release!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const held = db.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT 1`;
      entered();
      await released;
    },
    { maxWait: 30_000, timeout: 120_000 },
  );
  await Promise.race([inside, held]);
  try {
    return await fn();
  } finally {
    release();
    await held;
  }
}

/** Runs `fn` while the driver pool's only connection is taken. */
async function holdingTheDriverConnection<T>(sql: SqlPool, fn: () => Promise<T>): Promise<T> {
  const conn = await sql.getConnection();
  try {
    return await fn();
  } finally {
    await conn.release();
  }
}

describe('an overloaded API: no database connection free in time', () => {
  const runId = randomBytes(4).toString('hex');
  const base = testConfig();
  let config: Config;
  let db: Db;
  let api: RunningApi;
  let t: Provisioned;
  let roomId: string;

  beforeAll(async () => {
    config = testConfig({
      SCAIWAVE_DB_URL: `mysql://${base.db.user}:${base.db.password}@${base.db.host}:${base.db.port}/${base.db.database}_overload_${runId}`,
      SCAIWAVE_DB_POOL_SIZE: '1',
      SCAIWAVE_NATS_PREFIX: `o${runId}`,
    });
    await applyMigrations(config.db);
    db = createDb({ ...config.db, poolSize: 2 });
    api = await startApi(config, { port: 0 });
    t = await newTenant(db, { roles: ['admin'] });
    const ws = await wave<{ id: string }>('POST', '/workspaces', { slug: uniq('ws'), name: 'Overload' });
    expect(ws.status, JSON.stringify(ws.body)).toBe(201);
    const room = await wave<{ id: string }>('POST', `/workspaces/${ws.body.data!.id}/rooms`, { kind: 'channel', name: 'busy' });
    expect(room.status, JSON.stringify(room.body)).toBe(201);
    roomId = room.body.data!.id;
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    const nc = await connect({ servers: base.env.SCAIWAVE_NATS_URL.replace(/^nats:\/\//, '') });
    await (await nc.jetstreamManager()).streams.delete(streamName(config, waveRoomsStream.name)).catch(() => undefined);
    await nc.close();
    await db?.$executeRawUnsafe(`DROP DATABASE IF EXISTS \`${config.db.database}\``);
    await db?.$disconnect();
  });

  const wave = <T,>(method: string, path: string, json?: unknown): Promise<ApiAnswer<T>> =>
    call<T>(api.url, method, `/v1/wave${path}`, { token: t.apiKey.key, json });
  const written = async () => ({
    messages: await db.waveMessage.count({ where: { roomId } }),
    events: await db.waveOutbox.count({ where: { roomId, subject: { endsWith: '.message.posted' } } }),
  });
  const expectOverloaded = (res: ApiAnswer) => {
    expect(res.status, JSON.stringify(res.body)).toBe(503);
    expect(res.body).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE' } });
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
  };

  it('a post that cannot start its transaction in time is answered 503 with Retry-After and writes nothing; once the pool frees, the same post succeeds', async () => {
    // Caches the caller's credential and limits, so the post's first use of the pool is its transaction.
    expect((await wave('GET', `/rooms/${roomId}/messages`)).status).toBe(200);
    const body = { body: `Posted while the pool is full ${runId}` };

    // A post's transaction and its audit row run on the driver's pool (domains/wave/messages.ts postMessage,
    // lib/http/audit.ts); Prisma's is held too, so no part of the post finds a connection.
    const refused = await holdingTheConnection(api.deps.db, () =>
      holdingTheDriverConnection(api.deps.sql, () => wave('POST', `/rooms/${roomId}/messages`, body)),
    );
    expectOverloaded(refused);
    expect(await written()).toEqual({ messages: 0, events: 0 });
    // The refusal did not wait for its audit row on the exhausted pool: the row is written once the
    // connection is free again, with the status the client got (waited for, the write failed after
    // another pool wait and the refusal went unrecorded).
    const requestId = refused.headers.get('x-request-id')!;
    await waitUntil('the refusal in the audit log', async () => (await db.auditLog.findFirst({ where: { requestId } }))?.status === 503, 30_000);

    const posted = await wave<{ id: string; body: string }>('POST', `/rooms/${roomId}/messages`, body);
    expect(posted.status, JSON.stringify(posted.body)).toBe(201);
    expect(posted.body.data!.body).toBe(body.body);
    expect(await written()).toEqual({ messages: 1, events: 1 });
  }, 60_000);

  it('a read that waits in vain for a connection, through Prisma or the plain driver pool, is answered 503 too', async () => {
    const members = await holdingTheConnection(api.deps.db, () => wave('GET', `/rooms/${roomId}/members`));
    expectOverloaded(members);

    // A page of messages and the job poll read through the driver's own pool (api/server.ts): hold its connection instead.
    const job = `/v1/modules/scaiecho/jobs/${randomUUID()}`;
    const [page, polled] = await holdingTheDriverConnection(api.deps.sql, async () => [
      await wave('GET', `/rooms/${roomId}/messages`),
      await call(api.url, 'GET', job, { token: t.apiKey.key }),
    ]);
    expectOverloaded(page!);
    expectOverloaded(polled!);
    expect((await call(api.url, 'GET', job, { token: t.apiKey.key })).status).toBe(404);
  }, 60_000);

  it('tells the pool waits apart from the other database errors it meets', async () => {
    const one = createDb({ ...config.db, poolSize: 1 });
    const sql = createSqlPool(config.db, 1);
    try {
      const waits = await holdingTheConnection(one, async () => [
        await one.$transaction(async (tx) => tx.$queryRaw`SELECT 1`).catch((err: unknown) => err),
        await one.waveRoom.findFirst({ where: { id: roomId } }).catch((err: unknown) => err),
      ]);
      const conn = await sql.getConnection();
      try {
        waits.push(await sql.query('SELECT 1').catch((err: unknown) => err));
      } finally {
        await conn.release();
      }
      expect(waits.map(isPoolExhausted)).toEqual([true, true, true]);

      const expired = await one
        .$transaction(async (tx) => {
          await new Promise((resolve) => setTimeout(resolve, 300));
          return tx.$queryRaw`SELECT 1`;
        }, { timeout: 100 })
        .catch((err: unknown) => err);
      const viaPrisma = await one.$queryRawUnsafe('SELECT nonsense FROM nowhere').catch((err: unknown) => err);
      const viaDriver = await sql.query('SELECT nonsense FROM nowhere').catch((err: unknown) => err);
      const others = [expired, viaPrisma, viaDriver];
      expect(others.map((e) => (e as { code?: string }).code)).toEqual(['P2028', 'P2010', 'ER_NO_SUCH_TABLE']);
      expect(others.map(isPoolExhausted)).toEqual([false, false, false]);
    } finally {
      await sql.end();
      await one.$disconnect();
    }
  }, 60_000);
});
