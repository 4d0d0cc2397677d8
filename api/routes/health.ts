import Router from '@koa/router';
import { AppError } from '../../lib/errors.js';
import { runChecks, type Check } from '../../lib/health.js';
import type { Registry } from 'prom-client';
import type { ApiState } from '../state.js';

/** Readiness: 200 only when every dependency answers; 503 names those that do not. */
export function healthRoutes(checks: Record<string, Check>, registry: Registry): Router<ApiState> {
  const router = new Router<ApiState>();
  router.get('/health', async (ctx) => {
    const results = await runChecks(checks);
    const down = Object.entries(results).filter(([, r]) => !r.ok).map(([name]) => name);
    if (down.length > 0) {
      throw new AppError('SERVICE_UNAVAILABLE', `unavailable: ${down.join(', ')}`, { checks: results });
    }
    ctx.body = { success: true, data: { status: 'ok', checks: results } };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return router;
}
