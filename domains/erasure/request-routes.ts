import { COMPLIANCE_PERMISSIONS } from '../../lib/auth/permissions.js';
import { z } from 'zod';
import type { RouteDeps } from '../../lib/http/route-deps.js';
import { callerOf } from '../../lib/http/auth.js';
import { operation } from '../../lib/http/operation.js';
import { boolField, decimalText } from '../../lib/http/validate.js';
import { ERASURE_MODES } from './erasures.js';
import { approveRequest, fileRequest, rejectRequest } from './request-actions.js';
import { ERASURE_REQUEST_STATUSES, erasureRequestView, findErasureRequest, latestErasureRequest, listErasureRequests } from './requests.js';
import { erasureRequest } from './schemas.js';

// A user's own erasure request (requests.ts): any signed-in user files theirs;
// compliance officers and admins of the tenant list and decide them.

const requestParams = z.object({ requestId: z.string().min(1).max(36).meta({ description: 'the request id' }) });
const listQuery = z.object({
  status: z.enum(ERASURE_REQUEST_STATUSES).optional(),
  overdue: boolField.default(false).meta({ description: 'only pending requests whose deadline passed' }),
  limit: decimalText(z.number().int().min(1).max(500)).default(100),
});
const approval = z.strictObject({
  mode: z.enum(ERASURE_MODES).default('redact').meta({ description: 'the erasure mode (see POST /v1/compliance/erasures)' }),
  note: z.string().trim().min(1).max(1000).optional(),
});
const rejection = z.strictObject({ note: z.string().trim().min(1).max(1000).meta({ description: 'why: the user reads it (for example the legal obligation that keeps the data)' }) });

export function erasureRequestRoutes(deps: RouteDeps) {
  const compliance = COMPLIANCE_PERMISSIONS;
  return [
    operation({
      method: 'post',
      path: '/v1/me/erasure-request',
      operationId: 'requestMyErasure',
      summary: 'Ask for your own erasure: compliance decides by the deadline',
      description: 'Files the request, or answers the one still open. Everything of yours is erased once a compliance officer approves it.',
      tag: 'identity',
      responses: { 202: { description: 'filed, or already filed', data: erasureRequest } },
    }).handle(async (ctx) => {
      const caller = callerOf(ctx.state);
      const { request } = await fileRequest(deps, { tenantId: caller.tenantId, userId: caller.userId });
      return { status: 202, data: erasureRequestView(request) };
    }),
    operation({
      method: 'get',
      path: '/v1/me/erasure-request',
      operationId: 'getMyErasureRequest',
      summary: 'Your latest erasure request and its decision',
      tag: 'identity',
      responses: { 200: { description: 'the request', data: erasureRequest } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx) => {
      const caller = callerOf(ctx.state);
      return { status: 200, data: erasureRequestView(await latestErasureRequest(deps.db, caller.tenantId, caller.userId)) };
    }),
    operation({
      method: 'get',
      path: '/v1/compliance/erasure-requests',
      operationId: 'listErasureRequests',
      summary: "The tenant's erasure requests, soonest due first",
      tag: 'compliance',
      permission: compliance,
      query: listQuery,
      responses: { 200: { description: 'the requests', data: z.object({ requests: z.array(erasureRequest) }) } },
    }).handle(async (ctx, { query }) => {
      const found = await listErasureRequests(deps.db, callerOf(ctx.state).tenantId, { status: query.status, overdueOnly: query.overdue, limit: query.limit });
      return { status: 200, data: { requests: found.map(erasureRequestView) } };
    }),
    operation({
      method: 'get',
      path: '/v1/compliance/erasure-requests/:requestId',
      operationId: 'getErasureRequest',
      summary: 'An erasure request',
      tag: 'compliance',
      permission: compliance,
      params: requestParams,
      responses: { 200: { description: 'the request', data: erasureRequest } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => ({ status: 200, data: erasureRequestView(await findErasureRequest(deps.db, callerOf(ctx.state).tenantId, params.requestId)) })),
    operation({
      method: 'post',
      path: '/v1/compliance/erasure-requests/:requestId/approve',
      operationId: 'approveErasureRequest',
      summary: "Approve a user's erasure request: their erasure starts (follow it at erasure_url)",
      tag: 'compliance',
      permission: compliance,
      params: requestParams,
      body: approval,
      responses: { 200: { description: 'approved, or already approved', data: erasureRequest } },
      errors: ['NOT_FOUND', 'CONFLICT'],
    }).handle(async (ctx, { params, body }) => {
      const caller = callerOf(ctx.state);
      const { request } = await approveRequest(deps, { tenantId: caller.tenantId, userId: caller.userId }, params.requestId, { mode: body.mode, note: body.note });
      return { status: 200, data: erasureRequestView(request) };
    }),
    operation({
      method: 'post',
      path: '/v1/compliance/erasure-requests/:requestId/reject',
      operationId: 'rejectErasureRequest',
      summary: "Reject a user's erasure request, with the reason they are given",
      tag: 'compliance',
      permission: compliance,
      params: requestParams,
      body: rejection,
      responses: { 200: { description: 'rejected, or already rejected', data: erasureRequest } },
      errors: ['NOT_FOUND', 'CONFLICT'],
    }).handle(async (ctx, { params, body }) => {
      const caller = callerOf(ctx.state);
      const request = await rejectRequest(deps, { tenantId: caller.tenantId, userId: caller.userId }, params.requestId, body.note);
      return { status: 200, data: erasureRequestView(request) };
    }),
  ];
}
