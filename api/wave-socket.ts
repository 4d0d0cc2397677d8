import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Caller } from '../lib/auth/caller-identity.js';
import { AppError } from '../lib/errors.js';
import { eventsSince, latestCursor, SYNC_BATCH } from '../domains/wave/event-log.js';
import { assertCursorRetained } from '../domains/wave/event-retention.js';
import { batchOf, type FeedBatch, type FeedListener } from '../domains/wave/feed-batch.js';
import { setPresence } from '../domains/wave/presence.js';
import type { WaveRouteDeps } from '../domains/wave/routes/deps.js';
import type { Admission } from './middleware/admit.js';
import { addressOf } from './middleware/client-address.js';
import { keepAlive } from './socket-keepalive.js';
import type { UpgradeRoute } from './socket-upgrade.js';
import { eventBatchView } from '../domains/wave/event-schemas.js';

// GET /v1/wave/ws: the events of /v1/wave/sync, pushed. The token comes in the
// Authorization header or, for browsers that cannot set one on a WebSocket,
// in `access_token` — the only route that takes a token from the query
// string (proxy logs see it: README). `cursor` resumes after the last event a
// client saw, so a reconnect delivers what it missed, in order.
//
// Frames from the server: {"type":"events", events, messages, cursor} and,
// when nothing happened for a while, {"type":"heartbeat", cursor}. The
// server also pings; a client that stops answering is dropped. While the
// socket is open its user is online (domains/wave/presence.ts). After catching up
// from its cursor, a socket is fed by the process's one reader per tenant
// (domains/wave/event-feed.ts), not by reads of its own. An upgrade is admitted as
// a /v1 request is (authentication, the failures of its address and of its
// credential, the tenant's and the credential's rate limits), before the
// socket exists; so are sockets past the process's and the user's limits, and
// (api/socket-upgrade.ts, for every socket) a draining instance and a page
// elsewhere than SCAIWAVE_CORS_ORIGINS. Refusals are HTTP answers in the envelope.

export const WAVE_SOCKET_PATH = '/v1/wave/ws';
const CURSOR = /^(0|[1-9]\d{0,17})$/;

interface WaveSocketOptions {
  /** How often an idle socket gets a heartbeat frame and a ping. */
  heartbeatMs: number;
  /** the /v1 routes' authentication and rate limits: an upgrade counts as a request */
  admission: Admission;
  /** the most sockets this process holds, and one user of them */
  maxSockets: number;
  maxPerUser: number;
}

export function waveSocket(deps: WaveRouteDeps, opts: WaveSocketOptions): { route: UpgradeRoute; readonly open: number; close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const address = addressOf(deps.config.env.SCAIWAVE_TRUSTED_PROXIES);
  const perUser = new Map<string, number>();
  const requestIds = new WeakMap<IncomingMessage, string>();
  wss.on('headers', (headers, req) => headers.push(`X-Request-Id: ${requestIds.get(req)}`));

  const route: UpgradeRoute = ({ req, socket, head, requestId, url, refused }) => {
    if (wss.clients.size >= opts.maxSockets) {
      return refused(new AppError('SERVICE_UNAVAILABLE', 'this instance holds all the WebSockets it may; retry', undefined, { 'Retry-After': '1' }));
    }
    const cursor = url.searchParams.get('cursor');
    if (cursor !== null && !CURSOR.test(cursor)) return refused(new AppError('VALIDATION_ERROR', 'cursor: a cursor as sync answered it'));
    const admit = async (): Promise<Caller> => {
      const credentials = { authorization: req.headers.authorization, queryToken: url.searchParams.get('access_token') ?? undefined };
      const { caller, limited } = await opts.admission(address(req), credentials);
      if (limited) throw limited;
      if (!caller.permissions.has('wave:use')) throw new AppError('FORBIDDEN', 'the credential lacks wave:use');
      if (cursor !== null) await assertCursorRetained(deps.sql, caller.tenantId, BigInt(cursor));
      return caller;
    };
    admit().then(
      (caller) => {
        // Counted and upgraded in one turn of the loop (handleUpgrade answers synchronously), so concurrent upgrades cannot overshoot.
        const user = `${caller.tenantId}/${caller.userId}`;
        const open = perUser.get(user) ?? 0;
        if (open >= opts.maxPerUser) return refused(new AppError('RATE_LIMITED', `at most ${opts.maxPerUser} WebSockets per user at once; close one`));
        requestIds.set(req, requestId);
        wss.handleUpgrade(req, socket, head, (ws) => {
          perUser.set(user, open + 1);
          ws.once('close', () => {
            const left = (perUser.get(user) ?? 1) - 1;
            if (left > 0) perUser.set(user, left);
            else perUser.delete(user);
          });
          void serve(ws, caller, cursor);
        });
      },
      (err: unknown) => {
        if (err instanceof AppError) return refused(err);
        deps.logger.error({ err, requestId }, 'WebSocket authentication failed');
        refused(new AppError('SERVICE_UNAVAILABLE', 'try again'));
      },
    );
  };

  // A batch the feed hands every socket of a room is framed once, for all of them.
  const frames = new WeakMap<FeedBatch, Buffer>();
  const frameOf = (batch: FeedBatch): Buffer => {
    let frame = frames.get(batch);
    if (!frame) {
      frame = Buffer.from(JSON.stringify({ type: 'events', ...eventBatchView(batch) }));
      frames.set(batch, frame);
    }
    return frame;
  };

  async function serve(ws: WebSocket, caller: Caller, from: string | null): Promise<void> {
    let lastSent = Date.now();
    let catching = true;
    const held: FeedBatch[] = [];
    const send = (batch: FeedBatch): void => {
      const events = batch.events.filter((e) => BigInt(e.cursor) > listener.cursor);
      if (events.length === 0) return;
      const whole = events.length === batch.events.length;
      ws.send(frameOf(whole ? batch : batchOf(events, batch.messages)), { binary: false });
      listener.cursor = BigInt(events.at(-1)!.cursor);
      lastSent = Date.now();
    };
    const listener: FeedListener = {
      userId: caller.userId,
      rooms: new Set(),
      cursor: 0n,
      deliver: (batch) => (catching ? held.push(batch) : send(batch)),
    };
    let unsubscribe: (() => void) | undefined;
    const stopBeat = keepAlive(ws, opts.heartbeatMs, () => {
      if (!catching && Date.now() - lastSent >= opts.heartbeatMs) {
        ws.send(JSON.stringify({ type: 'heartbeat', cursor: listener.cursor.toString() }));
        lastSent = Date.now();
      }
      void setPresence(deps.redis, caller.tenantId, caller.userId, 'online').catch(() => undefined);
    });
    ws.on('close', () => {
      stopBeat();
      unsubscribe?.();
    });
    try {
      await setPresence(deps.redis, caller.tenantId, caller.userId, 'online');
      listener.cursor = BigInt(from ?? (await latestCursor(deps.sql, caller.tenantId)));
      // Catch up through the log; the feed's deliveries meanwhile are held, then handed over above the cursor.
      let batch = await eventsSince(deps.sql, caller, listener.cursor, SYNC_BATCH);
      listener.rooms = new Set(batch.rooms);
      unsubscribe = await deps.feed.subscribe(caller.tenantId, listener);
      if (ws.readyState !== ws.OPEN) return unsubscribe();
      for (;;) {
        send(batch);
        if (batch.events.length < SYNC_BATCH) break;
        batch = await eventsSince(deps.sql, caller, listener.cursor, SYNC_BATCH);
      }
      batch = await eventsSince(deps.sql, caller, listener.cursor, SYNC_BATCH);
      send(batch);
      catching = false;
      for (const b of held.splice(0)) send(b);
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, 'WebSocket closed after an error');
      ws.close(1011, 'server error; reconnect with your cursor');
    }
    // Presence is left to expire when the socket closes: the user may be online on another one.
  }

  return {
    route,
    get open() {
      return wss.clients.size;
    },
    close() {
      for (const ws of wss.clients) ws.close(1001, 'server going away; reconnect with your cursor');
      wss.close();
    },
  };
}
