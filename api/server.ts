import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCallerResolver } from '../lib/auth/caller.js';
import { CredentialCache } from '../lib/auth/credential-cache.js';
import { credentialChanges, subscribeCredentialChanges } from '../lib/auth/credential-changes.js';
import { LastUsedStamps } from '../lib/auth/last-used.js';
import { IdempotencyKeys } from '../lib/http/idempotency.js';
import { jwtVerifierFor } from '../lib/auth/jwt-verifier.js';
import type { Config } from '../lib/config.js';
import { createSqlPool } from '../lib/infra/db.js';
import { createLogger, type Logger } from '../lib/infra/logger.js';
import { createMetricsRegistry, credentialCacheGauges } from '../lib/infra/metrics.js';
import { waveDeliveryMetrics } from '../domains/wave/delivery-metrics.js';
import { createServices } from '../lib/services.js';
import { createTemporalClient } from '../lib/temporal/client.js';
import { publishOnce } from '../lib/events/jetstream.js';
import { SttBackends } from '../domains/scaiecho/backends.js';
import { EVENT_STREAMS } from '../domains/streams.js';
import { EventBell } from '../domains/wave/event-bell.js';
import { createSearchServices } from '../lib/search-index/search-services.js';
import { EventFeed } from '../domains/wave/event-feed.js';
import { LongPolls } from '../domains/wave/long-poll.js';
import { OutboxRelay, type PublishEvent } from '../domains/wave/outbox-relay.js';
import { routeUpgrades } from './socket-upgrade.js';
import { WAVE_SOCKET_PATH, waveSocket } from './wave-socket.js';
import { LIVE_SOCKET_PATH, liveSocket } from './live-socket.js';
import { WEBRTC_EVENTS_PATH, webrtcSocket } from './webrtc-socket.js';
import { WebRtcSessions } from '../domains/scaiecho/live/webrtc-sessions.js';
import { createApp, type App } from './app.js';
import type { ApiDeps } from './deps.js';

export interface RunningApi {
  url: string;
  app: App;
  deps: ApiDeps;
  server: http.Server;
  /** Drains: refuses new requests, lets in-flight ones finish (up to the grace time), then closes clients. */
  close(): Promise<void>;
}

interface StartApiOptions {
  port?: number;
  logger?: Logger;
  /** Wraps the outbox relay's publish: the crash tests kill the process around it (test/support/crash-api.ts). */
  wrapPublish?: (publish: PublishEvent) => PublishEvent;
}

export async function startApi(config: Config, opts: StartApiOptions = {}): Promise<RunningApi> {
  const logger = opts.logger ?? createLogger('scaiwave-api', config.env.SCAIWAVE_LOG_LEVEL);
  const services = createServices(config, logger, 'scaiwave-api', EVENT_STREAMS);
  const backends = new SttBackends(config, services.registry);
  const { client: temporal, connection: temporalConnection, close: closeTemporal } = createTemporalClient(config);
  const verifier = jwtVerifierFor(config.env);
  const e = config.env;
  const credentialCache =
    e.SCAIWAVE_AUTH_CACHE_SECONDS > 0
      ? new CredentialCache({ ttlMs: e.SCAIWAVE_AUTH_CACHE_SECONDS * 1000, maxEntries: e.SCAIWAVE_AUTH_CACHE_MAX_ENTRIES })
      : undefined;
  const subscription =
    credentialCache &&
    subscribeCredentialChanges({ redis: services.redis, redisPrefix: e.SCAIWAVE_REDIS_PREFIX, cache: credentialCache, logger });
  const changes = credentialChanges({ redis: services.redis, redisPrefix: e.SCAIWAVE_REDIS_PREFIX, logger, cache: credentialCache });
  const lastUsed = new LastUsedStamps(services.db, logger, e.SCAIWAVE_API_KEY_LAST_USED_FLUSH_SECONDS * 1000);
  const idempotencyKeys = new IdempotencyKeys(
    services.db,
    { ttlMs: e.SCAIWAVE_IDEMPOTENCY_KEY_TTL_SECONDS * 1000, waitMs: e.SCAIWAVE_IDEMPOTENCY_WAIT_SECONDS * 1000, leaseMs: e.SCAIWAVE_IDEMPOTENCY_LEASE_SECONDS * 1000 },
    logger,
  );
  const callers = createCallerResolver({
    db: services.db,
    verifier,
    authMode: e.SCAIWAVE_AUTH_MODE,
    platformTenant: e.SCAIWAVE_PLATFORM_TENANT,
    cache: credentialCache,
    lastUsed,
    changes,
  });
  const publish: PublishEvent = (subj, msgId, payload) => publishOnce(services.nats.get(), config, subj, msgId, payload);
  const registry = createMetricsRegistry('scaiwave-api');
  // Read at each scrape, once the server listens: the bell and the sockets exist by then.
  const feedMetrics = waveDeliveryMetrics(registry, () => ({ syncWaiting: polls.waiting, socketsOpen: sockets.open, bellListening: bell.listening }));
  const bell = new EventBell(services.nats, config, logger);
  // The driver's pool beside Prisma's, as large: most of the API's reads go through it (domains/wave/sql.ts).
  const sql = createSqlPool(config.db, config.db.poolSize);
  const feed = new EventFeed(sql, e.SCAIWAVE_WAVE_WS_HEARTBEAT_MS, logger);
  const polls = new LongPolls(feed, sql, feedMetrics);
  bell.tap((tenantId) => feed.notify(tenantId));
  // READ COMMITTED for every pass: its locking read takes no gap locks, so posts inserting events never wait for it.
  const relaySql = createSqlPool(config.db, 1, { initSql: 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED' });
  const outbox = new OutboxRelay({
    sql: relaySql,
    publish: opts.wrapPublish ? opts.wrapPublish(publish) : publish,
    logger,
    intervalMs: e.SCAIWAVE_WAVE_OUTBOX_POLL_MS,
    relayed: (tenantIds) => bell.ring(tenantIds),
  });
  const search = createSearchServices(e, logger);
  const liveDeps = {
    ...services,
    backends,
    logger,
    limits: { idleMs: e.SCAIWAVE_SCAIECHO_STREAM_IDLE_SECONDS * 1000, maxMs: e.SCAIWAVE_SCAIECHO_STREAM_MAX_SECONDS * 1000 },
  };
  const webrtc = new WebRtcSessions(
    { ...liveDeps, peer: { hostAddresses: e.SCAIWAVE_SCAIECHO_WEBRTC_HOST_ADDRESSES, udpPorts: e.SCAIWAVE_SCAIECHO_WEBRTC_UDP_PORTS } },
    e.SCAIWAVE_SCAIECHO_WEBRTC_MAX_SESSIONS,
  );
  const deps: ApiDeps = {
    ...services,
    backends,
    config,
    logger,
    temporal,
    temporalConnection,
    callers,
    credentialCache,
    credentialChanges: changes,
    lastUsed,
    idempotencyKeys,
    sql,
    outbox,
    bell,
    feed,
    polls,
    search,
    webrtc,
  };
  credentialCacheGauges(registry, () => ({ listening: credentialCache?.isListening ?? false, entries: credentialCache?.size ?? 0 }));
  const app = createApp(deps, registry);

  const server = http.createServer(app.koa.callback());
  server.keepAliveTimeout = 65_000;
  const sockets = waveSocket(deps, {
    heartbeatMs: e.SCAIWAVE_WAVE_WS_HEARTBEAT_MS,
    admission: app.admission,
    maxSockets: e.SCAIWAVE_WAVE_WS_MAX_SOCKETS,
    maxPerUser: e.SCAIWAVE_WAVE_WS_MAX_PER_USER,
  });
  const live = liveSocket({ ...deps, limits: liveDeps.limits }, { admission: app.admission, maxSockets: e.SCAIWAVE_WAVE_WS_MAX_SOCKETS });
  const webrtcEvents = webrtcSocket({ config, logger, sessions: webrtc, admission: app.admission });
  routeUpgrades(
    server,
    { [WAVE_SOCKET_PATH]: sockets.route, [LIVE_SOCKET_PATH]: live.route, [WEBRTC_EVENTS_PATH]: webrtcEvents.route },
    { drain: app.drain, origins: e.SCAIWAVE_CORS_ORIGINS },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? config.env.SCAIWAVE_PORT, config.env.SCAIWAVE_HOST, resolve);
  });
  outbox.start();
  const { port } = server.address() as AddressInfo;
  const host = config.env.SCAIWAVE_HOST === '0.0.0.0' ? '127.0.0.1' : config.env.SCAIWAVE_HOST;

  return {
    url: `http://${host}:${port}`,
    app,
    deps,
    server,
    async close() {
      app.drain.start();
      sockets.close();
      live.close();
      // Ended before the database and Redis go: each session completes its rows.
      const webrtcClosed = webrtc.close().finally(() => webrtcEvents.close());
      bell.close();
      polls.close();
      feed.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), config.env.SCAIWAVE_SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(grace);
      await webrtcClosed;
      await Promise.allSettled([subscription?.close(), lastUsed.close(), idempotencyKeys.close(), outbox.close(), search.close()]);
      await Promise.allSettled([services.close(), closeTemporal(), deps.sql.end(), relaySql.end()]);
      backends.close();
    },
  };
}
