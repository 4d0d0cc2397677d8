import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError } from '../lib/errors.js';
import type { DrainFlag } from './middleware/drain.js';
import { envelopeOf } from './middleware/error-envelope.js';
import { requestIdOf } from './middleware/request-id.js';
import { hardeningHeaders } from './middleware/security-headers.js';

// The API's WebSockets (api/wave-socket.ts, api/live-socket.ts,
// api/webrtc-socket.ts) share one 'upgrade' listener: each path has its route
// (a path may name a segment, `/sessions/:id/events`, handed to the route as
// a parameter), any other path is refused, and what every route refuses alike
// (a draining instance, a page elsewhere) is refused here before any route runs.

/**
 * An upgrade refused before the socket exists is an HTTP answer written to the
 * raw socket: the same envelope, request id and hardening headers as any /v1
 * answer (api/middleware/error-envelope.ts, security-headers.ts).
 */
export function refuseUpgrade(socket: Duplex, err: AppError, requestId: string): void {
  const body = JSON.stringify(envelopeOf(err, requestId));
  const headers = Object.entries({
    ...hardeningHeaders,
    ...err.headers,
    'X-Request-Id': requestId,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  });
  socket.end(`HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? err.code}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`);
}

export interface Upgrade {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  requestId: string;
  url: URL;
  /** the path's named segments */
  params: Record<string, string>;
  refused(err: AppError): void;
}

export type UpgradeRoute = (u: Upgrade) => void;

export interface UpgradePolicy {
  /** set on SIGTERM: no new sockets */
  drain: DrainFlag;
  /** browser origins that may open a socket (SCAIWAVE_CORS_ORIGINS); `*` for any */
  origins: readonly string[];
}

/**
 * A browser always names the page's origin. A page elsewhere must not ride a
 * user's token (cross-site WebSocket hijacking); one this API serves itself
 * (/demo/live) is no such page.
 */
function originAllowed(allowed: ReadonlySet<string>, origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined || allowed.has('*') || allowed.has(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** The route of a path, and its named segments: an exact path first, then one with `:name` segments. */
function matcher(routes: Record<string, UpgradeRoute>): (path: string) => { route: UpgradeRoute; params: Record<string, string> } | undefined {
  const patterns = Object.entries(routes)
    .filter(([path]) => path.includes('/:'))
    .map(([path, route]) => {
      const names: string[] = [];
      const source = path.replace(/:(\w+)/g, (_m, name: string) => (names.push(name), '([^/]+)'));
      return { re: new RegExp(`^${source}$`), names, route };
    });
  return (path) => {
    if (Object.hasOwn(routes, path) && !path.includes('/:')) return { route: routes[path]!, params: {} };
    for (const p of patterns) {
      const m = p.re.exec(path);
      if (m) return { route: p.route, params: Object.fromEntries(p.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
    }
    return undefined;
  };
}

export function routeUpgrades(server: Server, routes: Record<string, UpgradeRoute>, policy: UpgradePolicy): void {
  const origins = new Set(policy.origins);
  const match = matcher(routes);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const given = req.headers['x-request-id'];
    const requestId = requestIdOf(typeof given === 'string' ? given : undefined);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refused = (err: AppError) => refuseUpgrade(socket, err, requestId);
    let found: ReturnType<typeof match>;
    try {
      found = match(url.pathname);
    } catch {
      return refused(new AppError('NOT_FOUND', 'no WebSocket here'));
    }
    if (!found) return refused(new AppError('NOT_FOUND', 'no WebSocket here'));
    if (policy.drain.isDraining) return refused(new AppError('SERVICE_DRAINING', 'this instance is shutting down; retry', undefined, { 'Retry-After': '1' }));
    if (!originAllowed(origins, req.headers.origin, req.headers.host)) return refused(new AppError('FORBIDDEN', 'this origin may not open a WebSocket here'));
    found.route({ req, socket, head, requestId, url, params: found.params, refused });
  });
}
