import type { Middleware } from 'koa';
import type { Logger } from '../../lib/infra/logger.js';
import { routeOf } from '../../lib/http/route-template.js';
import type { ApiState } from '../../lib/http/state.js';

/**
 * One structured line per request, once it is answered: method, route
 * template, status, time, request id, tenant. Never the raw path or query (a
 * WebSocket token may ride there), headers or bodies: what reaches log sinks
 * is what an operator needs to follow a request, nothing a caller sent.
 */
export function accessLog(logger: Logger): Middleware<ApiState> {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      // Every node heartbeats every few seconds: routine machine chatter, kept at debug unless it fails.
      const routine = ctx.path.startsWith('/v1/internal/') && ctx.status < 400;
      logger[routine ? 'debug' : 'info'](
        {
          method: ctx.method,
          route: routeOf(ctx),
          status: ctx.status,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          request_id: ctx.state.requestId,
          tenant_id: ctx.state.caller?.tenantId ?? null,
          ip: ctx.ip,
        },
        'request',
      );
    }
  };
}
