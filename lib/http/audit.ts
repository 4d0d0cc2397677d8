import type { Middleware } from 'koa';
import { isPoolExhausted } from '../infra/db-overload.js';
import type { SqlPool } from '../infra/db.js';
import type { Logger } from '../infra/logger.js';
import { routeOf } from './route-template.js';
import type { ApiState } from './state.js';

const mutating = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every mutating request leaves a row, failed ones included: who, what, outcome.
 * Bodies are never recorded (they may hold personal data). The row is written
 * before the answer leaves, so a client that got its answer finds the row;
 * except for a request refused because no database connection was free in time
 * (answered 503 by error-envelope.ts): it changed nothing, and its row would
 * wait for a connection of the same exhausted pool, holding the refusal up to
 * another pool wait. Its row is written meanwhile, and a failure is logged.
 *
 * Through the driver, one INSERT: through Prisma, compiling and interpreting
 * the query cost more CPU than the rest of a post (docs/performance-notes.md, "wave.ts").
 */
const INSERT =
  'INSERT INTO audit_log (request_id, tenant_id, user_id, api_key_id, method, route, path, status, duration_ms, ip, user_agent, created_at) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

export function audit(sql: SqlPool, logger: Logger): Middleware<ApiState> {
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
      const written = sql
        .query(INSERT, [
          ctx.state.requestId,
          caller?.tenantId ?? null,
          caller?.userId ?? null,
          caller?.apiKeyId ?? null,
          ctx.method,
          routeOf(ctx),
          ctx.path.slice(0, 1024),
          status,
          Date.now() - started,
          ctx.ip || null,
          ctx.get('User-Agent').slice(0, 512) || null,
          new Date(),
        ])
        .catch((err: unknown) => logger.error({ err, requestId: ctx.state.requestId }, 'audit write failed'));
      if (!overloaded) await written;
    }
  };
}
