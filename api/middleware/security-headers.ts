import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Middleware } from 'koa';
import helmet from 'helmet';
import type { ApiState } from '../../lib/http/state.js';

/**
 * Hardening headers on every answer, errors included. The API serves JSON, so
 * its policy allows nothing to load, run or frame it; answers carry personal
 * data and secrets (a new API key), so no cache keeps them.
 *
 * The set is computed once, by letting helmet write to a recorder: the same
 * headers then go on Koa's answers and on the WebSocket upgrade refusals that
 * are written to the raw socket (api/wave-socket.ts), so neither path can
 * drift from the other.
 */
function computeHardeningHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => void (headers[name] = String(value)),
    removeHeader: (name: string) => void delete headers[name],
  };
  const policy = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  let done = false;
  policy({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
    done = true;
  });
  // helmet's middlewares are synchronous; were one ever not, the recorded set would be short.
  if (!done) throw new Error('helmet did not finish synchronously');
  return Object.freeze(headers);
}

export const hardeningHeaders = computeHardeningHeaders();

export function securityHeaders(): Middleware<ApiState> {
  return async (ctx, next) => {
    ctx.set(hardeningHeaders);
    await next();
  };
}
