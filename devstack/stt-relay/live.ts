import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../../lib/infra/logger.js';
import type { LiveEngines } from '../stt/engine.js';
import type { FaultSwitch } from '../stt/faults.js';
import { LiveTranscriber } from '../stt/live.js';

// The relay's live API, as managed STT services offer one (Deepgram's
// /v1/listen, AssemblyAI's realtime socket): a WebSocket at
// /v1/listen?sample_rate=&language=, the API key as a bearer on the upgrade;
// binary 16-bit mono PCM in; {"type":"delta", text, start_ms, end_ms,
// is_final} out as the engine decodes; the client's {"type":"close"} is
// answered with the last utterance's final, then {"type":"result", text,
// segments, duration_ms}, and close 1000. A refused key is a 401 at the
// upgrade; the fault switch's "fail" a 503 there.

export const RELAY_LIVE_PATH = '/v1/listen';

export interface RelayLiveOptions {
  knownKey(authorization: string): boolean;
  engines: LiveEngines;
  faults: FaultSwitch;
  stats: { live_sessions: number; unauthorized: number };
  log: Logger;
}

export function relayLiveUpgrades(opts: RelayLiveOptions): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const wss = new WebSocketServer({ noServer: true });
  const refuse = (socket: Duplex, status: string): void => {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  return (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://relay');
    if (url.pathname !== RELAY_LIVE_PATH) return refuse(socket, '404 Not Found');
    if (!opts.knownKey(req.headers.authorization ?? '')) {
      opts.stats.unauthorized++;
      return refuse(socket, '401 Unauthorized');
    }
    if (opts.faults.mode === 'fail') return refuse(socket, '503 Service Unavailable');
    const sampleRate = Number(url.searchParams.get('sample_rate') ?? '16000');
    if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 48_000) return refuse(socket, '400 Bad Request');
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, sampleRate));
  };

  function serve(ws: WebSocket, sampleRate: number): void {
    opts.stats.live_sessions++;
    const gone = new AbortController();
    const send = (frame: object): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    };
    const live = new LiveTranscriber(
      opts.engines,
      sampleRate,
      (d) => send({ type: 'delta', text: d.text, start_ms: d.startMs, end_ms: d.endMs, is_final: d.isFinal }),
      gone.signal,
    );
    ws.on('message', (data: RawData, isBinary) => {
      if (isBinary) return live.push(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]));
      let frame: { type?: unknown };
      try {
        frame = JSON.parse(String(data)) as { type?: unknown };
      } catch {
        return ws.close(1007, 'a text frame must be JSON');
      }
      if (frame.type !== 'close') return ws.close(1008, 'the only text frame is {"type":"close"}');
      live
        .end()
        .then((t) => {
          send({ type: 'result', text: t.text, segments: t.segments.map((s) => ({ start_ms: s.startMs, end_ms: s.endMs, text: s.text })), duration_ms: t.audioDurationMs });
          ws.close(1000);
        })
        .catch((err: unknown) => {
          opts.log.error({ err: String(err) }, 'live engine failed');
          ws.close(1011, 'the STT engine failed');
        });
    });
    // The client went away, however: its engines stop.
    ws.on('close', () => gone.abort());
    ws.on('error', () => gone.abort());
  }
}
