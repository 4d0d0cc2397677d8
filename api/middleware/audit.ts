import type { Middleware } from 'koa';
import { isPoolExhausted } from '../../lib/infra/db-overload.js';
import type { Db } from '../../lib/infra/db.js';
import type { Logger } from '../../lib/infra/logger.js';
import { routeOf } from '../route-template.js';
import type { ApiState } from '../state.js';

const mutating = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every mutating request leaves a row, failed ones included: who, what, outcome.
 * Bodies are never recorded (they may hold personal data). The row is written
 * before the answer leaves, so a client that got its answer finds the row;
 * except for a request refused because no database connection was free in time
 * (answered 503 by error-envelope.ts): it changed nothing, and its row would
 * wait for a connection of the same exhausted pool, holding the refusal up to
 * another pool wait. Its row is written meanwhile, and a failure is logged.
 */
export function audit(db: Db, logger: Logger): Middleware<ApiState> {
  return async (ctx, next) => {
    if (!mutating.has(ctx.method)) return next();
    const started = Date.now();
    let status = 500;
    let overloaded = false;
    try {
      await next();
      status = ctx.status;
    } catch (err) {
      overloaded = isPoolExhausted(err);
      status = overloaded ? 503 : ((err as { status?: number }).status ?? 500);
      throw err;
    } finally {
      const caller = ctx.state.caller;
      // createMany: one INSERT, where create reads the row back.
      const written = db.auditLog
        .createMany({
          data: {
            requestId: ctx.state.requestId,
            tenantId: caller?.tenantId ?? null,
            userId: caller?.userId ?? null,
            apiKeyId: caller?.apiKeyId ?? null,
            method: ctx.method,
            route: routeOf(ctx),
            path: ctx.path.slice(0, 1024),
            status,
            durationMs: Date.now() - started,
            ip: ctx.ip || null,
            userAgent: ctx.get('User-Agent').slice(0, 512) || null,
          },
        })
        .catch((err: unknown) => logger.error({ err, requestId: ctx.state.requestId }, 'audit write failed'));
      if (!overloaded) await written;
    }
  };
}
