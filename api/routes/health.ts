import type { Registry } from 'prom-client';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import { runChecks, type Check } from '../../lib/infra/health.js';
import type { Logger } from '../../lib/infra/logger.js';
import { operation } from '../../lib/http/operation.js';

const checkStatuses = z.record(z.string(), z.object({ ok: z.boolean() })).meta({ description: 'by dependency: mariadb, redis, nats, temporal' });

/**
 * Readiness: 200 only when every dependency answers; 503 names those that do
 * not. Anyone may call it, so it says only each dependency's name and status:
 * a driver's error text (hosts, users, versions) goes to the log.
 */
export function healthRoutes(checks: Record<string, Check>, registry: Registry, logger: Logger) {
  return [
    operation({
      method: 'get',
      path: '/health',
      operationId: 'getHealth',
      summary: 'Readiness: whether every dependency answers',
      tag: 'operations',
      responses: { 200: { description: 'every dependency answers', data: z.object({ status: z.literal('ok'), checks: checkStatuses }) } },
      errors: ['SERVICE_UNAVAILABLE'],
    }).handle(async () => {
      const results = await runChecks(checks);
      const down = Object.entries(results).filter(([, r]) => !r.ok);
      for (const [name, r] of down) logger.warn({ dependency: name, error: r.error, latencyMs: r.latency_ms }, 'health check failed');
      const statuses = Object.fromEntries(Object.entries(results).map(([name, r]) => [name, { ok: r.ok }]));
      if (down.length > 0) {
        throw new AppError('SERVICE_UNAVAILABLE', `unavailable: ${down.map(([name]) => name).join(', ')}`, { checks: statuses });
      }
      return { status: 200, data: { status: 'ok' as const, checks: statuses } };
    }),
    operation({
      method: 'get',
      path: '/metrics',
      operationId: 'getMetrics',
      summary: 'Prometheus metrics of this API process',
      tag: 'operations',
      responses: { 200: { description: 'the Prometheus text format', media: 'text/plain', schema: z.string() } },
    }).handle(async (ctx) => {
      ctx.type = registry.contentType;
      return { status: 200, body: await registry.metrics() };
    }),
  ];
}
