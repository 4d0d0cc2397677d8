import { z } from 'zod';
import type { RouteDeps } from '../../lib/http/route-deps.js';
import { callerOf } from '../../lib/http/auth.js';
import { operation } from '../../lib/http/operation.js';
import { decimalText } from '../../lib/http/validate.js';
import { startWebhookDelivery } from './client.js';
import { findDelivery, listDeliveries, replayDelivery } from './deliveries.js';
import { createEndpoint, deleteEndpoint, findEndpoint, listEndpoints, listNotifications, rotateSecret, updateEndpoint } from './endpoints.js';
import { WEBHOOK_EVENT_TYPES } from './event-types.js';
import { deliveryView, endpointView, notificationView, webhookDelivery, webhookEndpoint, webhookEndpointWithSecret, webhookNotification } from './schemas.js';

// Webhook endpoints of the caller's tenant (domains/webhooks/), for its admins.
// URLs are checked for where they resolve to before anything is stored.

const tag = 'webhooks';
const permission: ['admin:access'] = ['admin:access'];
const URL_ERRORS = ['WEBHOOK_URL_INVALID', 'WEBHOOK_URL_FORBIDDEN', 'WEBHOOK_URL_UNRESOLVABLE'] as const;

const url = z.string().min(1).max(2048).meta({ description: 'http(s) URL the events are POSTed to; private, loopback and link-local addresses are refused' });
const eventTypes = z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length);
const description = z.string().trim().max(500).nullable();

const newEndpoint = z.strictObject({ url, event_types: eventTypes, description: description.optional() });
const endpointPatch = z.strictObject({
  url: url.optional(),
  event_types: eventTypes.optional(),
  description: description.optional(),
  status: z.enum(['active', 'disabled']).optional().meta({ description: '`active` turns a disabled endpoint back on' }),
});
const endpointParams = z.object({ id: z.string().min(1).max(36).meta({ description: 'the endpoint id' }) });
const deliveryParams = endpointParams.extend({ deliveryId: z.string().min(1).max(64).meta({ description: 'the delivery id (its `webhook-id`)' }) });
const limitQuery = z.object({ limit: decimalText(z.number().int().min(1).max(200)).default(50) });

export function webhookRoutes(deps: RouteDeps) {
  const { db, config } = deps;
  const tenantOf = (state: Parameters<typeof callerOf>[0]) => callerOf(state).tenantId;
  return [
    operation({
      method: 'post',
      path: '/v1/webhooks',
      operationId: 'createWebhookEndpoint',
      summary: 'Register a webhook endpoint; its signing secret is in this answer only',
      tag,
      permission,
      body: newEndpoint,
      responses: { 201: { description: 'registered', data: webhookEndpointWithSecret } },
      errors: [...URL_ERRORS],
    }).handle(async (ctx, { body }) => {
      const { endpoint, secret } = await createEndpoint(db, config, tenantOf(ctx.state), { url: body.url, eventTypes: body.event_types, description: body.description });
      return { status: 201, data: { ...endpointView(endpoint), secret } };
    }),
    operation({
      method: 'get',
      path: '/v1/webhooks',
      operationId: 'listWebhookEndpoints',
      summary: "The tenant's webhook endpoints",
      tag,
      permission,
      responses: { 200: { description: 'the endpoints', data: z.object({ endpoints: z.array(webhookEndpoint) }) } },
    }).handle(async (ctx) => ({ status: 200, data: { endpoints: (await listEndpoints(db, tenantOf(ctx.state))).map(endpointView) } })),
    operation({
      method: 'get',
      path: '/v1/webhooks/:id',
      operationId: 'getWebhookEndpoint',
      summary: 'A webhook endpoint',
      tag,
      permission,
      params: endpointParams,
      responses: { 200: { description: 'the endpoint', data: webhookEndpoint } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => ({ status: 200, data: endpointView(await findEndpoint(db, tenantOf(ctx.state), params.id)) })),
    operation({
      method: 'patch',
      path: '/v1/webhooks/:id',
      operationId: 'updateWebhookEndpoint',
      summary: "Change an endpoint's URL, event types or description, or turn it off or back on",
      tag,
      permission,
      params: endpointParams,
      body: endpointPatch,
      responses: { 200: { description: 'changed', data: webhookEndpoint } },
      errors: ['NOT_FOUND', ...URL_ERRORS],
    }).handle(async (ctx, { params, body }) => {
      const e = await updateEndpoint(db, config, tenantOf(ctx.state), params.id, {
        url: body.url,
        eventTypes: body.event_types,
        description: body.description,
        status: body.status,
      });
      return { status: 200, data: endpointView(e) };
    }),
    operation({
      method: 'delete',
      path: '/v1/webhooks/:id',
      operationId: 'deleteWebhookEndpoint',
      summary: 'Delete an endpoint with its delivery log; deliveries still being tried stop',
      tag,
      permission,
      params: endpointParams,
      responses: { 200: { description: 'deleted', data: z.object({ id: z.string(), deleted: z.literal(true) }) } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => {
      await deleteEndpoint(db, tenantOf(ctx.state), params.id);
      return { status: 200, data: { id: params.id, deleted: true as const } };
    }),
    operation({
      method: 'post',
      path: '/v1/webhooks/:id/rotate-secret',
      operationId: 'rotateWebhookSecret',
      summary: 'A new signing secret, in this answer only; the previous one goes on signing beside it for the overlap (SCAIWAVE_WEBHOOKS_ROTATION_OVERLAP_SECONDS)',
      tag,
      permission,
      params: endpointParams,
      responses: { 200: { description: 'rotated', data: webhookEndpointWithSecret } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => {
      const { endpoint, secret } = await rotateSecret(db, config, tenantOf(ctx.state), params.id);
      return { status: 200, data: { ...endpointView(endpoint), secret } };
    }),
    operation({
      method: 'get',
      path: '/v1/webhooks/:id/deliveries',
      operationId: 'listWebhookDeliveries',
      summary: "The endpoint's deliveries, newest first, each with its tries (status code, latency, error)",
      tag,
      permission,
      params: endpointParams,
      query: limitQuery,
      responses: { 200: { description: 'the delivery log', data: z.object({ deliveries: z.array(webhookDelivery) }) } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params, query }) => {
      const e = await findEndpoint(db, tenantOf(ctx.state), params.id);
      return { status: 200, data: { deliveries: (await listDeliveries(db, e.id, query.limit)).map(deliveryView) } };
    }),
    operation({
      method: 'post',
      path: '/v1/webhooks/:id/deliveries/:deliveryId/replay',
      operationId: 'replayWebhookDelivery',
      summary: 'Send a delivery again, as a new delivery (its own id and tries) with the same event',
      tag,
      permission,
      params: deliveryParams,
      responses: { 202: { description: 'the new delivery, being tried', data: webhookDelivery } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => {
      const e = await findEndpoint(db, tenantOf(ctx.state), params.id);
      const replay = await replayDelivery(db, await findDelivery(db, e.id, params.deliveryId));
      await startWebhookDelivery(deps, replay);
      return { status: 202, data: deliveryView(replay) };
    }),
    operation({
      method: 'get',
      path: '/v1/webhook-notifications',
      operationId: 'listWebhookNotifications',
      summary: "What the tenant's admins are told about their endpoints (one disabled, and why), newest first",
      tag,
      permission,
      query: limitQuery,
      responses: { 200: { description: 'the notifications', data: z.object({ notifications: z.array(webhookNotification) }) } },
    }).handle(async (ctx, { query }) => ({
      status: 200,
      data: { notifications: (await listNotifications(db, tenantOf(ctx.state), query.limit)).map(notificationView) },
    })),
  ];
}
