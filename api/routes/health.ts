import Router from '@koa/router';
import type { Registry } from 'prom-client';
import { AppError } from '../../lib/errors.js';
import { runChecks, type Check } from '../../lib/infra/health.js';
import type { Logger } from '../../lib/infra/logger.js';
import type { ApiState } from '../state.js';

/**
 * Readiness: 200 only when every dependency answers; 503 names those that do
 * not. Anyone may call it, so it says only each dependency's name and status:
 * a driver's error text (hosts, users, versions) goes to the log.
 */
export function healthRoutes(checks: Record<string, Check>, registry: Registry, logger: Logger): Router<ApiState> {
  const router = new Router<ApiState>();
  router.get('/health', async (ctx) => {
    const results = await runChecks(checks);
    const down = Object.entries(results).filter(([, r]) => !r.ok);
    for (const [name, r] of down) logger.warn({ dependency: name, error: r.error, latencyMs: r.latency_ms }, 'health check failed');
    const statuses = Object.fromEntries(Object.entries(results).map(([name, r]) => [name, { ok: r.ok }]));
    if (down.length > 0) {
      throw new AppError('SERVICE_UNAVAILABLE', `unavailable: ${down.map(([name]) => name).join(', ')}`, { checks: statuses });
    }
    ctx.body = { success: true, data: { status: 'ok', checks: statuses } };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return router;
}
