import type { Middleware } from 'koa';
import type { Db } from '../../lib/infra/db.js';
import type { Logger } from '../../lib/infra/logger.js';
import { routeOf } from '../route-template.js';
import type { ApiState } from '../state.js';

const mutating = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every mutating request leaves a row, failed ones included: who, what, outcome.
 * Bodies are never recorded (they may hold personal data).
 */
export function audit(db: Db, logger: Logger): Middleware<ApiState> {
  return async (ctx, next) => {
    if (!mutating.has(ctx.method)) return next();
    const started = Date.now();
    let status = 500;
    try {
      await next();
      status = ctx.status;
    } catch (err) {
      status = (err as { status?: number }).status ?? 500;
      throw err;
    } finally {
      const caller = ctx.state.caller;
      await db.auditLog
        .create({
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
    }
  };
}
