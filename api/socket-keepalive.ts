import type { WebSocket } from 'ws';

/**
 * Pings every `everyMs`; a socket that did not answer the last ping is
 * dropped. `onBeat` runs on each beat of a live socket (a heartbeat frame,
 * presence). Also hears socket errors, which are followed by 'close' and,
 * unheard, would end the process. Answers the stop for the socket's 'close'.
 */
export function keepAlive(ws: WebSocket, everyMs: number, onBeat: () => void = () => undefined): () => void {
  let alive = true;
  ws.on('pong', () => (alive = true));
  ws.on('error', () => undefined);
  const beat = setInterval(() => {
    if (!alive) return ws.terminate();
    alive = false;
    ws.ping();
    onBeat();
  }, everyMs);
  return () => clearInterval(beat);
}
