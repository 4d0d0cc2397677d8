import type { Middleware } from 'koa';
import type { HttpMetrics } from '../../lib/infra/metrics.js';
import { routeOf } from '../../lib/http/route-template.js';
import type { ApiState } from '../../lib/http/state.js';

/** Labels by route template, never by raw path, so ids in URLs cannot explode cardinality. */
export function requestMetrics(m: HttpMetrics): Middleware<ApiState> {
  return async (ctx, next) => {
    const end = m.duration.startTimer();
    try {
      await next();
    } finally {
      const labels = {
        method: ctx.method,
        route: routeOf(ctx),
        status: String(ctx.status),
      };
      m.requests.inc(labels);
      end(labels);
    }
  };
}
