import type { Context, Middleware } from 'koa';
import coBody from 'co-body';
import { AppError } from '../errors.js';
import type { ApiState } from './state.js';

declare module 'koa' {
  interface Request {
    body?: unknown;
  }
}

/** JSON bodies only, capped, for the requests `applies` selects; multipart uploads stream their own bodies. */
export function jsonBody(limitBytes: number, applies: (ctx: Context) => boolean): Middleware<ApiState> {
  return async (ctx, next) => {
    if (!applies(ctx)) return next();
    const hasBody = ctx.request.length > 0 || ctx.get('Transfer-Encoding') !== '';
    if (!hasBody || ['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(ctx.method)) return next();
    if (!ctx.is('application/json')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the request body as application/json');
    }
    const declared = ctx.request.length;
    if (declared > limitBytes) {
      throw new AppError('PAYLOAD_TOO_LARGE', `request body is larger than ${limitBytes} bytes`);
    }
    try {
      ctx.request.body = await coBody.json(ctx.req, { limit: limitBytes, strict: true });
    } catch (err) {
      const { status, type } = err as { status?: number; type?: string };
      // raw-body's words for a client that hung up while, or before, its body was read:
      // its own doing, so neither a malformed body nor our failure.
      if (type === 'request.aborted' || (type === 'stream.not.readable' && ctx.req.destroyed)) {
        throw new AppError('CLIENT_CLOSED_REQUEST', 'the client closed the request before its body was read');
      }
      if (status === 413) throw new AppError('PAYLOAD_TOO_LARGE', `request body is larger than ${limitBytes} bytes`);
      if (status === 400 || err instanceof SyntaxError) throw new AppError('INVALID_JSON', 'request body is not valid JSON');
      throw err;
    }
    await next();
  };
}
