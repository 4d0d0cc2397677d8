import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { z } from 'zod';
import type { Config } from '../lib/config.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/infra/logger.js';
import type { ControlSink, WebRtcSession } from '../domains/scaiecho/live/webrtc-session.js';
import type { WebRtcSessions } from '../domains/scaiecho/live/webrtc-sessions.js';
import type { Admission } from './middleware/admit.js';
import { refusalOf, socketCallers } from './socket-admit.js';
import { sendFrame } from './socket-frames.js';
import { keepAlive } from './socket-keepalive.js';
import type { UpgradeRoute } from './socket-upgrade.js';

// GET …/webrtc/sessions/{id}/events: the control socket of a WebRTC session
// (domains/scaiecho/live/webrtc-session.ts). The same frames as the live
// socket's (ready, delta, closed, error), from the session's start: what was
// said before it attached comes first. Only the caller that made the session
// may attach (another's is 404), one socket at a time; the socket going away
// leaves the session streaming, for another to attach. A client sends
// {"type":"close"} here to end the session; its audio comes over RTP.

export const WEBRTC_EVENTS_PATH = '/v1/modules/scaiecho/stream/transcribe/webrtc/sessions/:id/events';

const PING_MS = 15_000;
/** a WebSocket close reason is at most 123 bytes */
const REASON_MAX = 120;

const controlFrame = z.object({ type: z.literal('close') }).strict();

interface WebRtcSocketDeps {
  config: Config;
  logger: Logger;
  sessions: WebRtcSessions;
  admission: Admission;
}

export function webrtcSocket(deps: WebRtcSocketDeps): { route: UpgradeRoute; close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 });
  const admit = socketCallers(deps.admission, deps.config.env.SCAIWAVE_TRUSTED_PROXIES);

  const route: UpgradeRoute = ({ req, socket, head, requestId, url, params, refused }) => {
    const attachable = async (): Promise<WebRtcSession> => {
      const session = deps.sessions.find(await admit(req, url, 'scaiecho:use'), params.id ?? '');
      if (session.attached) throw new AppError('CONFLICT', 'a control socket is already attached to this session');
      return session;
    };
    attachable().then(
      // handleUpgrade calls back in the same turn: no other socket can attach in between.
      (session) => wss.handleUpgrade(req, socket, head, (ws) => serve(ws, session)),
      (err: unknown) => refused(refusalOf(err, deps.logger, requestId)),
    );
  };

  function serve(ws: WebSocket, session: WebRtcSession): void {
    const sink: ControlSink = {
      send: (frame, droppable) => sendFrame(ws, frame, droppable),
      close: (code, reason) => ws.readyState === ws.OPEN && ws.close(code, reason.slice(0, REASON_MAX)),
    };
    const stopBeat = keepAlive(ws, PING_MS);
    ws.on('close', () => {
      stopBeat();
      session.detach(sink);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary && controlFrame.safeParse(parseJson(data)).success) return void session.stop();
      sendFrame(ws, { type: 'error', code: 'VALIDATION_ERROR', message: 'on this socket a client sends {"type":"close"} only; the audio goes over RTP' }, false);
    });
    session.attach(sink);
  }

  return {
    route,
    close() {
      for (const ws of wss.clients) ws.close(1001, 'server going away');
      wss.close();
    },
  };
}

function parseJson(data: RawData): unknown {
  try {
    return JSON.parse((Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)).toString('utf8'));
  } catch {
    return undefined;
  }
}
