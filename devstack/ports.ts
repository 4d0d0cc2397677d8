import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * The kernel's ephemeral range, which every outgoing connection takes its local
 * port from. A port the kernel hands out for `listen(0)` lies in that range too,
 * so between our probe and the child's bind a connection to MariaDB or Redis can
 * take it (CI saw EADDRINUSE on a worker's health port that way). Ports below
 * the range are only ever taken by someone listening on purpose.
 */
function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return Number(low);
  } catch {
    return 0;
  }
}

const FLOOR = 10_000;

function listens(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, host, () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : undefined));
    });
  });
}

/**
 * A port nobody listens on, for a child process to bind: picked at random below
 * the ephemeral range (so no outgoing connection can take it meanwhile) and
 * probed; where the range is unknown or leaves no room, whatever `listen(0)` gives.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const low = ephemeralLow();
  if (low - FLOOR >= 1_000) {
    for (let attempt = 0; attempt < 100; attempt++) {
      const port = await listens(FLOOR + Math.floor(Math.random() * (low - FLOOR)), host);
      if (port !== undefined) return port;
    }
  }
  const port = await listens(0, host);
  if (port === undefined) throw new Error(`no free port on ${host}`);
  return port;
}

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
