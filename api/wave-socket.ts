import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Caller } from '../lib/auth/caller.js';
import { AppError } from '../lib/errors.js';
import { eventsSince, latestCursor } from '../lib/wave/event-log.js';
import { setPresence } from '../lib/wave/presence.js';
import type { ApiDeps } from './deps.js';
import { SYNC_BATCH } from './routes/wave-sync.js';
import { eventBatchView } from './schemas/wave-events.js';

// GET /v1/wave/ws: the events of /v1/wave/sync, pushed. The token comes in the
// Authorization header or, for browsers that cannot set one on a WebSocket,
// in `access_token` — the only route that takes a token from the query
// string (proxy logs see it: README). `cursor` resumes after the last event a
// client saw, so a reconnect delivers what it missed, in order.
//
// Frames from the server: {"type":"events", events, messages, cursor} and,
// when nothing happened for a while, {"type":"heartbeat", cursor}. The
// server also pings; a client that stops answering is dropped. While the
// socket is open its user is online (lib/wave/presence.ts).

export const WAVE_SOCKET_PATH = '/v1/wave/ws';
const CURSOR = /^(0|[1-9]\d{0,17})$/;

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ success: false, error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${code}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export interface WaveSocketOptions {
  /** How often an idle socket gets a heartbeat frame and a ping. */
  heartbeatMs: number;
}

export function attachWaveSocket(server: http.Server, deps: ApiDeps, opts: WaveSocketOptions): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WAVE_SOCKET_PATH) return refuse(socket, 404, 'NOT_FOUND', 'no WebSocket here');
    const cursor = url.searchParams.get('cursor');
    if (cursor !== null && !CURSOR.test(cursor)) return refuse(socket, 400, 'VALIDATION_ERROR', 'cursor: a cursor as sync answered it');
    deps.callers.resolve(req.headers.authorization, url.searchParams.get('access_token') ?? undefined).then(
      (caller) => {
        if (!caller.permissions.has('wave:use')) return refuse(socket, 403, 'FORBIDDEN', 'the credential lacks wave:use');
        wss.handleUpgrade(req, socket, head, (ws) => void serve(ws, caller, cursor));
      },
      (err: unknown) => {
        if (err instanceof AppError) return refuse(socket, err.status, err.code, err.message);
        deps.logger.error({ err }, 'WebSocket authentication failed');
        refuse(socket, 503, 'SERVICE_UNAVAILABLE', 'try again');
      },
    );
  });

  async function serve(ws: WebSocket, caller: Caller, from: string | null): Promise<void> {
    const closed = new AbortController();
    let alive = true;
    ws.on('pong', () => (alive = true));
    ws.on('close', () => closed.abort());
    ws.on('error', () => closed.abort());
    const ping = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
      void setPresence(deps.redis, caller.tenantId, caller.userId, 'online').catch(() => undefined);
    }, opts.heartbeatMs);
    try {
      await setPresence(deps.redis, caller.tenantId, caller.userId, 'online');
      let cursor = BigInt(from ?? (await latestCursor(deps.db, caller.tenantId)));
      while (!closed.signal.aborted) {
        const batch = await eventsSince(deps.db, caller, cursor, SYNC_BATCH);
        if (batch.events.length > 0) {
          cursor = BigInt(batch.cursor);
          ws.send(JSON.stringify({ type: 'events', ...eventBatchView(batch) }));
          continue;
        }
        const before = Date.now();
        await deps.bell.wait(caller.tenantId, { userId: caller.userId, rooms: batch.rooms }, before + opts.heartbeatMs, closed.signal);
        if (!closed.signal.aborted && Date.now() - before >= opts.heartbeatMs) {
          ws.send(JSON.stringify({ type: 'heartbeat', cursor: cursor.toString() }));
        }
      }
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, 'WebSocket closed after an error');
      ws.close(1011, 'server error; reconnect with your cursor');
    } finally {
      // Presence is left to expire: the user may be online on another socket.
      clearInterval(ping);
    }
  }

  return {
    close() {
      for (const ws of wss.clients) ws.close(1001, 'server going away; reconnect with your cursor');
      wss.close();
    },
  };
}
