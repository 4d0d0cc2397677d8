import type { Middleware } from 'koa';
import { AppError } from '../errors.js';
import type { ApiState } from './state.js';

/**
 * A 401 that names how to authenticate (RFC 9110 §11.6.1, RFC 6750 §3), as
 * clients that discover their credentials (MCP's among them) read it: a
 * presented token that failed is `invalid_token`, no token is a bare challenge.
 */
export function bearerChallenge(realm: string): Middleware<ApiState> {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 401) throw err;
      const challenge = ctx.get('Authorization') ? `Bearer realm="${realm}", error="invalid_token"` : `Bearer realm="${realm}"`;
      throw new AppError(err.code, err.message, err.details, { ...err.headers, 'WWW-Authenticate': challenge });
    }
  };
}
