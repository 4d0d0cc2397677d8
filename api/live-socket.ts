import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Caller } from '../lib/auth/caller-identity.js';
import type { Config } from '../lib/config.js';
import { AppError } from '../lib/errors.js';
import { LiveSession, type LiveDeps } from '../domains/scaiecho/live/session.js';
import type { Admission } from './middleware/admit.js';
import { refusalOf, socketCallers } from './socket-admit.js';
import { sendFrame } from './socket-frames.js';
import { keepAlive } from './socket-keepalive.js';
import type { UpgradeRoute } from './socket-upgrade.js';

// GET /v1/modules/scaiecho/stream/transcribe: live transcription over a
// WebSocket (the protocol: domains/scaiecho/live/frames.ts; the session:
// live/session.ts). This file translates the socket only; the upgrade is
// admitted as a /v1 request is, before the socket exists (socket-admit.ts).

export const LIVE_SOCKET_PATH = '/v1/modules/scaiecho/stream/transcribe';

const PING_MS = 15_000;

interface LiveSocketOptions {
  admission: Admission;
  maxSockets: number;
}

export function liveSocket(deps: LiveDeps & { config: Config }, opts: LiveSocketOptions): { route: UpgradeRoute; readonly open: number; close(): void } {
  // 100 ms of 48 kHz audio is 9.6 kB; a frame of a second at most is plenty.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  const admit = socketCallers(opts.admission, deps.config.env.SCAIWAVE_TRUSTED_PROXIES);

  const route: UpgradeRoute = ({ req, socket, head, requestId, url, refused }) => {
    if (wss.clients.size >= opts.maxSockets) return refused(new AppError('SERVICE_UNAVAILABLE', 'this instance holds all the sessions it may; retry', undefined, { 'Retry-After': '1' }));
    admit(req, url, 'scaiecho:use').then(
      (caller) => wss.handleUpgrade(req, socket, head, (ws) => serve(ws, caller)),
      (err: unknown) => refused(refusalOf(err, deps.logger, requestId)),
    );
  };

  function serve(ws: WebSocket, caller: Caller): void {
    const session = new LiveSession(deps, caller, {
      send: (frame, o) => sendFrame(ws, frame, o?.droppable ?? false),
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
      void session.onGone(code);
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
