import type { WebSocket } from 'ws';
import { CLOSE } from '../domains/scaiecho/live/frames.js';

// A live session's JSON frames onto its socket. Past SOFT unsent, partials are
// dropped (the next replaces them anyway); past HARD the client reads too
// slowly to serve at all.

const SOFT_BUFFER_BYTES = 1024 * 1024;
const HARD_BUFFER_BYTES = 8 * 1024 * 1024;

export function sendFrame(ws: WebSocket, frame: object, droppable: boolean): void {
  if (ws.readyState !== ws.OPEN) return;
  if (ws.bufferedAmount > HARD_BUFFER_BYTES) return ws.close(CLOSE.tooSlow, 'the client reads too slowly');
  if (droppable && ws.bufferedAmount > SOFT_BUFFER_BYTES) return;
  ws.send(JSON.stringify(frame));
}
