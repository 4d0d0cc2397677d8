import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess } from '../devstack/process.js';
import { freePort, waitUntil } from '../devstack/ports.js';
import { loadConfig, type Config } from '../lib/config.js';
import { createDb, type Db } from '../lib/infra/db.js';
import { newId } from '../lib/infra/ids.js';
import { applyMigrations } from '../lib/infra/migrate.js';
import { streamName, subject } from '../lib/infra/nats.js';
import { roomSubject, waveRoomsStream, type WaveEvent } from '../domains/wave/events.js';
import { appendEvent } from '../domains/wave/outbox.js';
import { startApiProcess } from './support/processes.js';

// Room events survive an API process killed on either side of the publish:
// each reaches JetStream exactly once. The suite has a database and a NATS
// prefix of its own, so no other suite's API relays its events first.

describe('room events: outbox to JetStream', () => {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig(process.env);
  const env = {
    SCAIWAVE_DB_URL: `mysql://${base.db.user}:${base.db.password}@${base.db.host}:${base.db.port}/${base.db.database}_outbox_${runId}`,
    SCAIWAVE_NATS_PREFIX: `o${runId}`,
    SCAIWAVE_WAVE_OUTBOX_POLL_MS: '200',
  };
  let config: Config;
  let db: Db;
  let nc: NatsConnection;

  beforeAll(async () => {
    config = loadConfig({ ...process.env, ...env });
    await applyMigrations(config.db);
    db = createDb(config.db);
    nc = await connect({ servers: config.env.SCAIWAVE_NATS_URL.replace(/^nats:\/\//, '') });
  });
  afterAll(async () => {
    await db?.$executeRawUnsafe(`DROP DATABASE IF EXISTS \`${config.db.database}\``);
    await db?.$disconnect();
    const jsm = await nc?.jetstreamManager();
    await jsm?.streams.delete(streamName(config, waveRoomsStream.name)).catch(() => undefined);
    await nc?.close();
  });

  /** A change committed with its event, as a route does (a tenant and room of its own). */
  async function committedEvent(): Promise<WaveEvent> {
    return db.$transaction((tx) =>
      appendEvent(tx, 'message.posted', { tenantId: newId(), roomId: newId(), actorId: newId(), messageId: newId(), seq: '1' }),
    );
  }

  /** The event's copies on the stream, by its subject (each event here has a room of its own). */
  async function stored(e: WaveEvent): Promise<{ count: number; msgIds: string[] }> {
    const jsm = await nc.jetstreamManager();
    const name = streamName(config, waveRoomsStream.name);
    const subj = subject(config, roomSubject(e.tenantId, e.roomId, e.type));
    const info = await jsm.streams.info(name, { subjects_filter: subj }).catch(() => undefined);
    const count = info?.state.subjects?.[subj] ?? 0;
    if (count === 0) return { count, msgIds: [] };
    const msg = await jsm.streams.getMessage(name, { last_by_subj: subj });
    return { count, msgIds: [msg.header?.get('Nats-Msg-Id') ?? ''] };
  }

  const outboxRow = (e: WaveEvent) => db.waveOutbox.findUniqueOrThrow({ where: { msgId: e.id } });

  async function crashApi(when: 'publish:before' | 'publish:after'): Promise<number | null> {
    const proc = startProcess(`crash-api-${runId}-${when}`, process.execPath, ['--import', 'tsx', path.resolve('test/support/crash-api.ts')], {
      logDir: process.env.SCAIWAVE_TEST_LOG_DIR ?? '.devstack/test-logs',
      env: { ...process.env, ...env, SCAIWAVE_HOST: '127.0.0.1', SCAIWAVE_PORT: String(await freePort()), CRASH_AT: when },
    });
    return proc.exited;
  }

  for (const when of ['publish:before', 'publish:after'] as const) {
    it(`an API killed ${when === 'publish:before' ? 'after the commit, before the publish' : 'after the publish, before marking it'}: the event is on the stream exactly once`, async () => {
      const event = await committedEvent();
      // Killed by its own SIGKILL at that point (devstack/process.ts reports a signal as 128), not exited for another reason.
      expect(await crashApi(when)).toBe(128);

      expect((await outboxRow(event)).publishedAt).toBeNull();
      expect((await stored(event)).count).toBe(when === 'publish:before' ? 0 : 1);

      const api = await startApiProcess(env);
      try {
        await waitUntil('the event relayed', async () => (await outboxRow(event)).publishedAt !== null);
      } finally {
        await api.proc.stop();
      }
      expect(await stored(event)).toEqual({ count: 1, msgIds: [event.id] });
      const row = await outboxRow(event);
      expect(row.streamSeq).not.toBeNull();
    }, 300_000);
  }
});
