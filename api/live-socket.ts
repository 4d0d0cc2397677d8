import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Caller } from '../lib/auth/caller-identity.js';
import type { Config } from '../lib/config.js';
import { AppError } from '../lib/errors.js';
import { CLOSE } from '../domains/scaiecho/live/frames.js';
import { LiveSession, type LiveDeps } from '../domains/scaiecho/live/session.js';
import type { Admission } from './middleware/admit.js';
import { addressOf } from './middleware/client-address.js';
import { keepAlive } from './socket-keepalive.js';
import type { UpgradeRoute } from './socket-upgrade.js';

// GET /v1/modules/scaiecho/stream/transcribe: live transcription over a
// WebSocket (the protocol: domains/scaiecho/live/frames.ts; the session:
// live/session.ts). This file translates the socket only. The bearer comes in
// the Authorization header or, from a browser, `access_token` in the query
// string; the upgrade is admitted as a /v1 request is, before the socket exists.

export const LIVE_SOCKET_PATH = '/v1/modules/scaiecho/stream/transcribe';

/** Past this much unsent, partials are dropped (the next replaces them anyway); past the hard limit the client is too slow to serve. */
const SOFT_BUFFER_BYTES = 1024 * 1024;
const HARD_BUFFER_BYTES = 8 * 1024 * 1024;
const PING_MS = 15_000;

interface LiveSocketOptions {
  admission: Admission;
  maxSockets: number;
}

export function liveSocket(deps: LiveDeps & { config: Config }, opts: LiveSocketOptions): { route: UpgradeRoute; readonly open: number; close(): void } {
  // 100 ms of 48 kHz audio is 9.6 kB; a frame of a second at most is plenty.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  const address = addressOf(deps.config.env.SCAIWAVE_TRUSTED_PROXIES);

  const route: UpgradeRoute = ({ req, socket, head, requestId, url, refused }) => {
    if (wss.clients.size >= opts.maxSockets) return refused(new AppError('SERVICE_UNAVAILABLE', 'this instance holds all the sessions it may; retry', undefined, { 'Retry-After': '1' }));
    const admit = async (): Promise<Caller> => {
      const { caller, limited } = await opts.admission(address(req), { authorization: req.headers.authorization, queryToken: url.searchParams.get('access_token') ?? undefined });
      if (limited) throw limited;
      if (!caller.permissions.has('scaiecho:use')) throw new AppError('FORBIDDEN', 'the credential lacks scaiecho:use');
      return caller;
    };
    admit().then(
      (caller) => wss.handleUpgrade(req, socket, head, (ws) => serve(ws, caller)),
      (err: unknown) => {
        if (err instanceof AppError) return refused(err);
        deps.logger.error({ err, requestId }, 'live socket authentication failed');
        refused(new AppError('SERVICE_UNAVAILABLE', 'try again'));
      },
    );
  };

  function serve(ws: WebSocket, caller: Caller): void {
    const session = new LiveSession(deps, caller, {
      send(frame, o) {
        if (ws.readyState !== ws.OPEN) return;
        if (ws.bufferedAmount > HARD_BUFFER_BYTES) return ws.close(CLOSE.tooSlow, 'the client reads too slowly');
        if (o?.droppable && ws.bufferedAmount > SOFT_BUFFER_BYTES) return;
        ws.send(JSON.stringify(frame));
      },
      close: (code, reason) => ws.readyState === ws.OPEN && ws.close(code, reason),
      pause: () => ws.pause(),
      resume: () => ws.resume(),
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) session.onAudio(buf);
      else session.onText(buf.toString('utf8'));
    });
    const stopBeat = keepAlive(ws, PING_MS);
    ws.on('close', (code) => {
      stopBeat();
      session.onGone(code);
    });
  }

  return {
    route,
    get open() {
      return wss.clients.size;
    },
    close() {
      for (const ws of wss.clients) ws.close(1001, 'server going away');
      wss.close();
    },
  };
}
