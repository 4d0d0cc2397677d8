import Router from '@koa/router';
import { z } from 'zod';
import { AppError, notFound } from '../../lib/errors.js';
import type { NodeRegistry } from '../../lib/scaiecho/node-registry.js';
import { requireServiceToken, type Authentication } from '../middleware/auth.js';
import { ok } from '../envelope.js';
import { routeTemplate } from '../route-template.js';
import { parse } from '../validate.js';
import type { ApiState } from '../state.js';

const NODE_ID = /^[A-Za-z0-9._-]{1,128}$/;

const heartbeatBody = z.object({
  node_id: z.string().regex(NODE_ID),
  address: z.string().regex(/^[^\s:]+:\d{1,5}$/, { message: 'must be host:port' }),
  engine_kinds: z.array(z.string().min(1).max(64)).min(1).max(16),
  capacity: z.number().int().min(1).max(10_000).default(1),
  version: z.string().max(64).default(''),
});

const nodeListQuery = z.object({ engine_kind: z.string().min(1).max(64).default('stt') });

export function nodeRegistrationRoutes(auth: Authentication, registry: NodeRegistry): Router<ApiState> {
  const router = new Router<ApiState>({ prefix: '/v1/internal/nodes' });
  router.use(routeTemplate(router));
  router.use(requireServiceToken(auth));
  router.post('/heartbeat', async (ctx) => {
    const b = parse(heartbeatBody, ctx.request.body);
    const outcome = await registry.heartbeat({
      nodeId: b.node_id,
      address: b.address,
      engineKinds: b.engine_kinds,
      capacity: b.capacity,
      version: b.version,
    });
    if (outcome === 'removed') {
      throw new AppError('FORBIDDEN', `node ${b.node_id} was removed from the cluster by an operator; wipe it and register under a new node id`);
    }
    ok(ctx, { node_id: b.node_id });
  });
  router.delete('/:id', async (ctx) => {
    await registry.deregister(ctx.params.id!);
    ok(ctx, { node_id: ctx.params.id, deregistered: true });
  });
  return router;
}

/**
 * The ScaiInfer nodes every tenant shares, with their internal addresses:
 * mounted under the platform operators' router (see api/routes/platform.ts).
 */
export function nodeAdminRoutes(registry: NodeRegistry): Router<ApiState> {
  const router = new Router<ApiState>({ prefix: '/nodes' });
  router.get('/', async (ctx) => {
    const { engine_kind } = parse(nodeListQuery, ctx.query);
    const nodes = await registry.online(engine_kind);
    ok(
      ctx,
      nodes.map((n) => ({
        node_id: n.nodeId,
        address: n.address,
        engine_kinds: n.engineKinds,
        capacity: n.capacity,
        version: n.version,
        last_seen_at: new Date(n.lastSeenMs).toISOString(),
      })),
    );
  });
  // Takes a node out of the cluster for good: work waiting for it to come back
  // (evictions of erased speakers) stops waiting, and it may not rejoin under this id.
  router.delete('/:id', async (ctx) => {
    const nodeId = ctx.params.id!;
    if (!NODE_ID.test(nodeId) || !(await registry.remove(nodeId))) throw notFound(`node ${JSON.stringify(nodeId)}`);
    ok(ctx, { node_id: nodeId, removed_at: (await registry.removedAt(nodeId))!.toISOString() });
  });
  return router;
}
