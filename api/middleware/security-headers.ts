import type { Middleware } from 'koa';
import helmet from 'koa-helmet';
import type { ApiState } from '../state.js';

/**
 * Hardening headers on every answer, errors included. The API serves JSON, so
 * its policy allows nothing to load, run or frame it; answers carry personal
 * data and secrets (a new API key), so no cache keeps them.
 */
export function securityHeaders(): Middleware<ApiState> {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  return async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await headers(ctx, next);
  };
}
