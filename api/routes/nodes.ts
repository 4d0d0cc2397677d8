import Router from '@koa/router';
import { timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import type { NodeRegistry } from '../../lib/scaiecho/node-registry.js';
import { requirePermission } from '../middleware/auth.js';
import { ok } from '../envelope.js';
import { parse } from '../validate.js';
import type { ApiState } from '../state.js';

const heartbeatBody = z.object({
  node_id: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/),
  address: z.string().regex(/^[^\s:]+:\d{1,5}$/, { message: 'must be host:port' }),
  engine_kinds: z.array(z.string().min(1).max(64)).min(1).max(16),
  capacity: z.number().int().min(1).max(10_000).default(1),
  version: z.string().max(64).default(''),
});

/** Internal components (ScaiInfer nodes) present the platform's service token, not a user credential. */
function serviceToken(expected: string | undefined): Middleware<ApiState> {
  const want = expected ? Buffer.from(`Bearer ${expected}`) : undefined;
  return async (ctx, next) => {
    const got = Buffer.from(ctx.get('Authorization'));
    if (!want || got.length !== want.length || !timingSafeEqual(got, want)) {
      throw new AppError('UNAUTHORIZED', 'a valid service token is required');
    }
    await next();
  };
}

export function nodeRegistrationRoutes(token: string | undefined, registry: NodeRegistry): Router<ApiState> {
  const router = new Router<ApiState>({ prefix: '/v1/internal/nodes' });
  router.use(serviceToken(token));
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

/** Operators: which nodes are online for an engine kind right now. */
export function nodeAdminRoutes(registry: NodeRegistry): Router<ApiState> {
  const router = new Router<ApiState>();
  router.get('/v1/admin/nodes', requirePermission('admin:access'), async (ctx) => {
    const kind = typeof ctx.query.engine_kind === 'string' ? ctx.query.engine_kind : 'stt';
    const nodes = await registry.online(kind);
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
  router.delete('/v1/admin/nodes/:id', requirePermission('admin:access'), async (ctx) => {
    const nodeId = ctx.params.id!;
    await registry.remove(nodeId);
    ok(ctx, { node_id: nodeId, removed_at: (await registry.removedAt(nodeId))!.toISOString() });
  });
  return router;
}
