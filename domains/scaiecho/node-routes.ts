import { z } from 'zod';
import { AppError, notFound } from '../../lib/errors.js';
import type { NodeRegistry } from '../../lib/scaiinfer/node-registry.js';
import { requireServiceToken, type Authentication } from '../../lib/http/auth.js';
import { operation } from '../../lib/http/operation.js';
import { RouteGroup } from '../../lib/http/route-group.js';
import { routeTemplate } from '../../lib/http/route-template.js';

const NODE_ID = /^[A-Za-z0-9._-]{1,128}$/;

// Not strict: ScaiInfer nodes are released on their own schedule, and a newer
// node reporting more than this registry reads must still be able to register.
const heartbeatBody = z.object({
  node_id: z.string().regex(NODE_ID),
  address: z.string().regex(/^[^\s:]+:\d{1,5}$/, { message: 'must be host:port' }).meta({ description: "the node's gRPC address, host:port" }),
  engine_kinds: z.array(z.string().min(1).max(64)).min(1).max(16).meta({ description: 'e.g. stt, diarize' }),
  capacity: z.number().int().min(1).max(10_000).default(1).meta({ description: 'calls it takes at once' }),
  version: z.string().max(64).default(''),
});

const nodeListQuery = z.object({ engine_kind: z.string().min(1).max(64).default('stt') });

const nodeId = z.object({ id: z.string().meta({ description: 'the node id' }) });

const onlineNode = z
  .object({
    node_id: z.string(),
    address: z.string().meta({ description: 'internal gRPC address' }),
    engine_kinds: z.array(z.string()),
    capacity: z.number().int(),
    version: z.string(),
    last_seen_at: z.iso.datetime(),
  })
  .meta({ id: 'Node' });

/** ScaiInfer nodes register themselves with the service token. */
export function nodeRegistrationRoutes(auth: Authentication, registry: NodeRegistry, maxJsonBytes: number): RouteGroup {
  const group = new RouteGroup('service');
  group.router.use(routeTemplate(group.router));
  group.router.use(requireServiceToken(auth));
  return group.parseJsonBodies(maxJsonBytes).add(
    operation({
      method: 'post',
      path: '/v1/internal/nodes/heartbeat',
      operationId: 'nodeHeartbeat',
      summary: 'A ScaiInfer node registers, or says it is still there',
      description: 'Fields this version does not read are ignored, so nodes may be newer than the API.',
      tag: 'internal',
      body: heartbeatBody,
      responses: { 200: { description: 'registered', data: z.object({ node_id: z.string() }) } },
      errors: ['FORBIDDEN'],
    }).handle(async (_ctx, { body: b }) => {
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
      return { status: 200, data: { node_id: b.node_id } };
    }),
    operation({
      method: 'delete',
      path: '/v1/internal/nodes/:id',
      operationId: 'nodeDeregister',
      summary: 'A ScaiInfer node leaves (it may come back)',
      tag: 'internal',
      params: nodeId,
      responses: { 200: { description: 'out of the registry', data: z.object({ node_id: z.string(), deregistered: z.literal(true) }) } },
    }).handle(async (_ctx, { params }) => {
      await registry.deregister(params.id);
      return { status: 200, data: { node_id: params.id, deregistered: true as const } };
    }),
  );
}

/**
 * The ScaiInfer nodes every tenant shares, with their internal addresses:
 * mounted on the platform operators' group (see domains/identity/routes/platform.ts).
 */
export function nodeAdminRoutes(registry: NodeRegistry) {
  return [
    operation({
      method: 'get',
      path: '/v1/admin/nodes',
      operationId: 'listNodes',
      summary: 'Online ScaiInfer nodes of an engine kind',
      tag: 'platform',
      query: nodeListQuery,
      responses: { 200: { description: 'the nodes online now', data: z.array(onlineNode) } },
    }).handle(async (_ctx, { query }) => {
      const nodes = await registry.online(query.engine_kind);
      return {
        status: 200,
        data: nodes.map((n) => ({
          node_id: n.nodeId,
          address: n.address,
          engine_kinds: n.engineKinds,
          capacity: n.capacity,
          version: n.version,
          last_seen_at: new Date(n.lastSeenMs).toISOString(),
        })),
      };
    }),
    // Takes a node out of the cluster for good: work waiting for it to come back
    // (evictions of erased speakers) stops waiting, and it may not rejoin under this id.
    operation({
      method: 'delete',
      path: '/v1/admin/nodes/:id',
      operationId: 'removeNode',
      summary: 'Take a node out of the cluster for good',
      description: 'Evictions stop waiting for it, and it may not rejoin under this id. A node id never registered is 404.',
      tag: 'platform',
      params: nodeId,
      responses: { 200: { description: 'removed', data: z.object({ node_id: z.string(), removed_at: z.iso.datetime() }) } },
      errors: ['NOT_FOUND'],
    }).handle(async (_ctx, { params }) => {
      const id = params.id;
      if (!NODE_ID.test(id) || !(await registry.remove(id))) throw notFound(`node ${JSON.stringify(id)}`);
      return { status: 200, data: { node_id: id, removed_at: (await registry.removedAt(id))!.toISOString() } };
    }),
  ];
}
