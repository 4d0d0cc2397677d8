import WebSocket from 'ws';

// A client of the API's live sockets (the live transcription socket, a WebRTC
// session's control socket): JSON frames as they come, waited for by type.

export interface Frame {
  type: string;
  [k: string]: unknown;
}

export interface FrameSocket {
  ws: WebSocket;
  frames: Frame[];
  closed: Promise<{ code: number; reason: string }>;
  /** the first frame of this type, seen already or still to come */
  next(type: string): Promise<Frame>;
}

/** The bearer in the Authorization header, or in `access_token` as a browser sends it. */
export function frameSocket(url: string, token: string | undefined, how: 'header' | 'query' = 'header', origin?: string): FrameSocket {
  const ws =
    how === 'query'
      ? new WebSocket(`${url}?access_token=${encodeURIComponent(token ?? '')}`, { origin })
      : new WebSocket(url, { headers: token ? { Authorization: `Bearer ${token}` } : {}, origin });
  const frames: Frame[] = [];
  const waiters: { type: string; resolve: (f: Frame) => void }[] = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const f = JSON.parse(data.toString()) as Frame;
    frames.push(f);
    for (const w of waiters.filter((x) => x.type === f.type)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(f);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('error', () => undefined);
  return {
    ws,
    frames,
    closed,
    next: (type) => {
      const seen = frames.find((f) => f.type === type);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ type, resolve }));
    },
  };
}

/** Settles when the upgrade is answered: open, or refused with its HTTP status in the error. */
export const opened = (ws: WebSocket): Promise<void> =>
  new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)))));
