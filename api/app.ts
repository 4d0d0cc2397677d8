import Koa from 'koa';
import cors from '@koa/cors';
import type { Registry } from 'prom-client';
import { dependencyUpGauge, httpMetrics, nodesOnlineGauge } from '../lib/infra/metrics.js';
import { ENGINE_DIARIZE, ENGINE_STT } from '../lib/scaiinfer/node-registry.js';
import { tenantLimits } from '../lib/tenancy/tenant-limits.js';
import { probeTemporal } from '../lib/temporal/client.js';
import type { ApiDeps } from './deps.js';
import { accessLog } from './middleware/access-log.js';
import { allowedMethods } from './middleware/allowed-methods.js';
import { audit } from '../lib/http/audit.js';
import { admission, admit, type Admission } from './middleware/admit.js';
import { AuthFailureLimiter } from '../lib/http/auth-failures.js';
import type { Authentication } from '../lib/http/auth.js';
import { clientAddress } from './middleware/client-address.js';
import { DrainFlag, drainCheck } from './middleware/drain.js';
import { errorEnvelope } from './middleware/error-envelope.js';
import { requestMetrics } from './middleware/metrics.js';
import { securityHeaders } from './middleware/security-headers.js';
import { Windows } from '../lib/http/windows.js';
import { openApiDocument, type OpenApiDocument } from './openapi/document.js';
import { IDEMPOTENCY_HEADER } from '../lib/http/idempotency.js';
import { RouteGroup } from '../lib/http/route-group.js';
import { routeTemplate } from '../lib/http/route-template.js';
import { requestId } from './middleware/request-id.js';
import { apiKeyRoutes } from '../domains/identity/routes/api-keys.js';
import { docsRoutes } from './routes/docs.js';
import { liveDemoRoutes } from './routes/live-demo.js';
import { healthRoutes } from './routes/health.js';
import { meRoutes } from '../domains/identity/routes/me.js';
import { nodeRegistrationRoutes } from '../domains/scaiecho/node-routes.js';
import { platformRoutes } from '../domains/identity/routes/platform.js';
import { scaiechoPolicyRoutes } from '../domains/scaiecho/policy-routes.js';
import { scaiechoRoutes } from '../domains/scaiecho/routes.js';
import { webrtcRoutes } from '../domains/scaiecho/webrtc-routes.js';
import { speakerRoutes } from '../domains/speakers/routes.js';
import { usageRoutes } from '../domains/accounting/routes.js';
import { waveImportRoutes } from '../domains/export/routes/imports.js';
import { waveExportRoutes } from '../domains/export/routes/exports.js';
import { waveMediaRoutes } from '../domains/wave/routes/media.js';
import { waveMessageRoutes } from '../domains/wave/routes/messages.js';
import { waveRoomRoutes } from '../domains/wave/routes/rooms.js';
import { waveSyncRoutes } from '../domains/wave/routes/sync.js';
import { waveSearchRoutes } from '../domains/search/routes.js';
import { erasureRoutes } from '../domains/erasure/routes.js';
import { erasureRequestRoutes } from '../domains/erasure/request-routes.js';
import { holdRoutes } from '../domains/holds/routes.js';
import { webhookRoutes } from '../domains/webhooks/routes.js';
import { mcpBodyLimit, scaiechoMcpRoutes } from '../domains/scaiecho/mcp/routes.js';
import { oaiRoutes } from '../domains/scaiecho/oai/routes.js';
import { openAiError, openAiErrorBody } from '../domains/scaiecho/oai/error-body.js';
import { bearerChallenge } from '../lib/http/bearer-challenge.js';
import type { ApiState } from '../lib/http/state.js';

export interface App {
  koa: Koa<ApiState>;
  drain: DrainFlag;
  /** authentication and rate limits of /v1, for the WebSocket upgrade that bypasses Koa */
  admission: Admission;
  /** every route, by who may call it; the OpenAPI document is built from them */
  groups: readonly RouteGroup[];
}

/**
 * Order matters: hardening headers and the request id come first so every
 * answer, errors included, carries them; the client address is fixed before
 * anything counts or logs it; a wrong method is answered before auth; public
 * probes sit before auth; audit wraps auth so refused mutations are recorded
 * too; authentication and rate limits are one step (admit.ts), one Redis round trip.
 */
export function createApp(deps: ApiDeps, registry: Registry): App {
  const { config, logger } = deps;
  // Forwarded headers are read by clientAddress, from the allowlisted proxies only, never by Koa itself.
  const koa = new Koa<ApiState>({ proxy: false });
  // What reaches Koa's own error event is a connection that failed after its answer
  // was settled, most often a client hanging up mid-request: worth a line in the log,
  // not the bare stack trace Koa prints to stderr when nobody listens.
  koa.on('error', (err: Error & { code?: string }) => logger.info({ err: { message: err.message, code: err.code } }, 'connection error'));
  const drain = new DrainFlag();
  const origins = new Set(config.env.SCAIWAVE_CORS_ORIGINS);
  const windows = new Windows(deps.redis);
  const auth: Authentication = {
    resolver: deps.callers,
    failures: new AuthFailureLimiter(windows, {
      address: config.env.SCAIWAVE_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
      credential: config.env.SCAIWAVE_RATE_LIMIT_CREDENTIAL_FAILURES_PER_MINUTE,
    }),
    serviceToken: config.env.SCAIWAVE_SERVICE_TOKEN,
  };

  const checks = {
    mariadb: () => deps.db.$queryRaw`SELECT 1`,
    redis: () => deps.redis.ping(),
    nats: () => deps.nats.ping(),
    temporal: () => probeTemporal(config, 2000),
  };
  dependencyUpGauge(registry, checks);
  nodesOnlineGauge(registry, [ENGINE_STT, ENGINE_DIARIZE], async (kind) => (await deps.registry.online(kind)).length);
  let document: OpenApiDocument | undefined;
  const publicRoutes = new RouteGroup('public').add(
    ...healthRoutes(checks, registry, logger),
    ...docsRoutes(() => (document ??= openApiDocument(groups))),
    ...liveDemoRoutes(),
  );
  const internal = nodeRegistrationRoutes(auth, deps.registry, config.env.SCAIWAVE_MAX_JSON_BODY_BYTES);
  const platform = platformRoutes(auth, deps);
  const v1 = new RouteGroup('caller');
  v1.router.use(routeTemplate(v1.router));
  v1.router.use(audit(deps.sql, logger));
  const admitted = admission(auth, windows, tenantLimits(deps.db, config));
  v1.router.use(admit(admitted));
  v1.keepIdempotencyKeys(deps.idempotencyKeys);
  v1.parseJsonBodies(config.env.SCAIWAVE_MAX_JSON_BODY_BYTES).add(
    ...meRoutes(),
    ...apiKeyRoutes(deps.db, deps.credentialChanges),
    ...scaiechoRoutes(deps),
    ...webrtcRoutes(deps.webrtc),
    ...speakerRoutes(deps),
    ...scaiechoPolicyRoutes(deps.db),
    ...usageRoutes(deps.db),
    ...waveRoomRoutes(deps),
    ...waveMessageRoutes(deps),
    ...waveMediaRoutes(deps),
    ...waveSyncRoutes(deps),
    ...waveSearchRoutes(deps),
    ...waveImportRoutes(deps),
    ...waveExportRoutes(deps),
    ...erasureRoutes(deps),
    ...erasureRequestRoutes(deps),
    ...holdRoutes(deps),
    ...webhookRoutes(deps),
  );
  // MCP: admitted like /v1, its 401 a Bearer challenge, its JSON bodies large enough for the base64 audio it takes.
  const mcp = new RouteGroup('caller');
  mcp.router.use(routeTemplate(mcp.router), audit(deps.sql, logger), bearerChallenge('scaiwave'), admit(admitted));
  mcp.parseJsonBodies(mcpBodyLimit(config)).add(...scaiechoMcpRoutes(deps));
  // OpenAI-compatible: admitted like /v1, every refusal in OpenAI's error shape.
  const oai = new RouteGroup('caller');
  oai.errorBody = openAiError;
  oai.router.use(routeTemplate(oai.router), audit(deps.sql, logger), admit(admitted));
  oai.keepIdempotencyKeys(deps.idempotencyKeys);
  oai.add(...oaiRoutes(deps));
  const groups = [publicRoutes, internal, platform, v1, mcp, oai];

  koa.use(securityHeaders());
  koa.use(requestId());
  koa.use(clientAddress(config.env.SCAIWAVE_TRUSTED_PROXIES));
  koa.use(accessLog(logger.child({ log: 'access' }, { level: config.env.SCAIWAVE_ACCESS_LOG_LEVEL })));
  koa.use(requestMetrics(httpMetrics(registry)));
  koa.use(errorEnvelope(logger, [{ prefix: '/oai/v1/', body: openAiErrorBody }]));
  koa.use(
    cors({
      origin: (ctx) => (origins.has('*') ? '*' : origins.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
      exposeHeaders: ['X-Request-Id', 'Idempotent-Replayed', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining'],
      allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', IDEMPOTENCY_HEADER, 'MCP-Protocol-Version'],
      maxAge: 600,
    }),
  );
  koa.use(drainCheck(drain));
  koa.use(allowedMethods(groups.map((g) => g.router)));
  for (const g of groups) koa.use(g.router.routes());

  return { koa, drain, admission: admitted, groups };
}
