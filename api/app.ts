import Koa from 'koa';
import Router from '@koa/router';
import cors from '@koa/cors';
import type { Registry } from 'prom-client';
import { httpMetrics } from '../lib/metrics.js';
import { tenantLimits } from '../lib/tenant-limits.js';
import { probeTemporal } from '../lib/temporal/client.js';
import type { ApiDeps } from './deps.js';
import { audit } from './middleware/audit.js';
import { authenticate } from './middleware/auth.js';
import { jsonBody } from './middleware/body.js';
import { DrainFlag, drainCheck } from './middleware/drain.js';
import { errorEnvelope } from './middleware/error-envelope.js';
import { requestMetrics } from './middleware/metrics.js';
import { rateLimit } from './middleware/rate-limit.js';
import { routeTemplate } from './route-template.js';
import { requestId } from './middleware/request-id.js';
import { adminRoutes } from './routes/admin.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { healthRoutes } from './routes/health.js';
import { meRoutes } from './routes/me.js';
import { nodeAdminRoutes, nodeRegistrationRoutes } from './routes/nodes.js';
import { scaiechoPolicyRoutes } from './routes/scaiecho-policy.js';
import { scaiechoRoutes } from './routes/scaiecho.js';
import { speakerRoutes } from './routes/speakers.js';
import { usageRoutes } from './routes/usage.js';
import type { ApiState } from './state.js';

export interface App {
  koa: Koa<ApiState>;
  drain: DrainFlag;
}

/**
 * Order matters: the request id comes first so every answer, errors included,
 * carries it; public probes sit before auth; audit wraps auth so refused
 * mutations are recorded too; rate limits need the resolved caller.
 */
export function createApp(deps: ApiDeps, registry: Registry): App {
  const { config, logger } = deps;
  const koa = new Koa<ApiState>({ proxy: config.env.SCAIWAVE_TRUSTED_PROXIES.length > 0 });
  const drain = new DrainFlag();
  const origins = new Set(config.env.SCAIWAVE_CORS_ORIGINS);

  koa.use(requestId());
  koa.use(requestMetrics(httpMetrics(registry)));
  koa.use(errorEnvelope(logger));
  koa.use(
    cors({
      origin: (ctx) => (origins.has('*') ? '*' : origins.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
      exposeHeaders: ['X-Request-Id', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining'],
      allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
      maxAge: 600,
    }),
  );
  koa.use(drainCheck(drain));

  const checks = {
    mariadb: () => deps.db.$queryRaw`SELECT 1`,
    redis: () => deps.redis.ping(),
    nats: () => deps.nats.ping(),
    temporal: () => probeTemporal(config, 2000),
  };
  const publicRoutes = healthRoutes(checks, registry);
  koa.use(publicRoutes.routes());

  const internal = nodeRegistrationRoutes(config.env.SCAIWAVE_SERVICE_TOKEN, deps.registry);
  koa.use(jsonBody(config.env.SCAIWAVE_MAX_JSON_BODY_BYTES, (ctx) => ctx.path.startsWith('/v1/internal/')));
  koa.use(internal.routes());

  const v1 = new Router<ApiState>();
  v1.use(routeTemplate(v1));
  v1.use(audit(deps.db, logger));
  v1.use(authenticate(deps.callers));
  v1.use(rateLimit(deps.redis, tenantLimits(deps.db, config)));
  v1.use(jsonBody(config.env.SCAIWAVE_MAX_JSON_BODY_BYTES, (ctx) => !ctx.is('multipart/form-data')));
  const routers = [
    meRoutes(),
    apiKeyRoutes(deps.db),
    adminRoutes(config, deps.temporal),
    nodeAdminRoutes(deps.registry),
    scaiechoRoutes(deps),
    speakerRoutes(deps),
    scaiechoPolicyRoutes(deps.db),
    usageRoutes(deps.db),
  ];
  for (const r of routers) {
    v1.use(r.routes(), r.allowedMethods({ throw: true }));
  }
  koa.use(v1.routes());

  return { koa, drain };
}
