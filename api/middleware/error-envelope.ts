import type { Middleware } from 'koa';
import { isPoolExhausted } from '../../lib/infra/db-overload.js';
import { AppError, type ErrorCode } from '../../lib/errors.js';
import type { Logger } from '../../lib/infra/logger.js';
import type { ApiState } from '../../lib/http/state.js';

// Errors thrown by Koa's own helpers and body parsers carry an HTTP status; map
// them onto our codes so every failure a client sees has the same shape.
const byStatus: Record<number, ErrorCode> = {
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** Seconds an overloaded instance asks a client to wait: about one pool wait (lib/infra/db.ts). */
const OVERLOAD_RETRY_AFTER_S = 2;

function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const e = err as { status?: number; statusCode?: number; expose?: boolean; message?: string };
  const status = e?.status ?? e?.statusCode;
  if (typeof status !== 'number' || status >= 500) return undefined;
  const code = byStatus[status] ?? 'VALIDATION_ERROR';
  return new AppError(code, e.expose && e.message ? e.message : code.toLowerCase().replace(/_/g, ' '));
}

/**
 * No database connection was free in time: overload, not a fault, and the
 * statement that waited never ran (a transaction never began, so nothing of it
 * was written). The client may try again; Retry-After says when.
 */
function overloaded(): AppError {
  return new AppError('SERVICE_UNAVAILABLE', 'the service is overloaded; try again after Retry-After seconds', undefined, {
    'Retry-After': String(OVERLOAD_RETRY_AFTER_S),
  });
}

/** The body of every refusal, HTTP answer and WebSocket upgrade alike. */
export function envelopeOf(e: AppError, requestId: string) {
  return {
    success: false,
    error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) },
    request_id: requestId,
  } as const;
}

/** The body of refusals under a path prefix that speaks another API's error shape (the OpenAI-compatible /oai/v1). */
export interface ErrorDialect {
  prefix: string;
  body(e: AppError): unknown;
}

export function errorEnvelope(logger: Logger, dialects: readonly ErrorDialect[] = []): Middleware<ApiState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new AppError('NOT_FOUND', `no route for ${ctx.method} ${ctx.path}`);
      }
    } catch (err) {
      const overload = isPoolExhausted(err);
      if (overload) logger.warn({ code: (err as { code?: unknown }).code, requestId: ctx.state.requestId, path: ctx.path }, 'overloaded: no database connection in time');
      const appErr = overload ? overloaded() : toAppError(err);
      if (!appErr) logger.error({ err, requestId: ctx.state.requestId, path: ctx.path }, 'unhandled error');
      const e = appErr ?? new AppError('INTERNAL_ERROR', 'internal error');
      ctx.status = e.status;
      for (const [k, v] of Object.entries(e.headers ?? {})) ctx.set(k, v);
      const dialect = dialects.find((d) => ctx.path.startsWith(d.prefix));
      ctx.body = dialect ? dialect.body(e) : envelopeOf(e, ctx.state.requestId);
    }
  };
}
