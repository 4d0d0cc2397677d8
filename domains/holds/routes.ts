import { COMPLIANCE_PERMISSIONS } from '../../lib/auth/permissions.js';
import { z } from 'zod';
import type { RouteDeps } from '../../lib/http/route-deps.js';
import { callerOf } from '../../lib/http/auth.js';
import { operation } from '../../lib/http/operation.js';
import { boolField, decimalText } from '../../lib/http/validate.js';
import { announceHoldReleased } from './client.js';
import { HOLD_SCOPES, holdView, listHolds, placeHold, releaseHold } from './holds.js';
import { legalHold } from './schemas.js';

// Legal holds (domains/holds/). Compliance officers and admins of the tenant;
// every placement and release is in the audit log, and the hold row keeps who and when.

const newHold = z.strictObject({
  scope: z.enum(HOLD_SCOPES),
  target_id: z.string().min(1).max(36).optional().meta({ description: "the user's or the room's id (for `tenant`: the caller's tenant, may be left out)" }),
  reason: z.string().trim().min(1).max(1000).meta({ description: 'why: the matter or case it is held for' }),
});
const holdParams = z.object({ holdId: z.string().min(1).max(36).meta({ description: 'the hold id' }) });
const listQuery = z.object({
  active: boolField.default(true).meta({ description: 'only holds not released (default)' }),
  limit: decimalText(z.number().int().min(1).max(500)).default(100),
});

export function holdRoutes(deps: RouteDeps) {
  const tag = 'compliance';
  const compliance = COMPLIANCE_PERMISSIONS;
  return [
    operation({
      method: 'post',
      path: '/v1/compliance/holds',
      operationId: 'placeLegalHold',
      summary: 'Place a legal hold on a user, a room or the tenant: erasures and retention purges of it wait until it is released',
      tag,
      permission: compliance,
      body: newHold,
      responses: { 201: { description: 'placed', data: legalHold } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { body }) => {
      const caller = callerOf(ctx.state);
      const hold = await placeHold(deps.db, { tenantId: caller.tenantId, userId: caller.userId }, { scope: body.scope, targetId: body.target_id, reason: body.reason });
      return { status: 201, data: holdView(hold) };
    }),
    operation({
      method: 'delete',
      path: '/v1/compliance/holds/:holdId',
      operationId: 'releaseLegalHold',
      summary: 'Release a legal hold: erasures waiting on it go on (releasing one already released answers it as it is)',
      tag,
      permission: compliance,
      params: holdParams,
      responses: { 200: { description: 'released', data: legalHold } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => {
      const caller = callerOf(ctx.state);
      const hold = await releaseHold(deps.db, { tenantId: caller.tenantId, userId: caller.userId }, params.holdId);
      await announceHoldReleased(deps, caller.tenantId);
      return { status: 200, data: holdView(hold) };
    }),
    operation({
      method: 'get',
      path: '/v1/compliance/holds',
      operationId: 'listLegalHolds',
      summary: "The tenant's legal holds, newest first",
      tag,
      permission: compliance,
      query: listQuery,
      responses: { 200: { description: 'the holds', data: z.object({ holds: z.array(legalHold) }) } },
    }).handle(async (ctx, { query }) => {
      const holds = await listHolds(deps.db, callerOf(ctx.state).tenantId, { activeOnly: query.active, limit: query.limit });
      return { status: 200, data: { holds: holds.map(holdView) } };
    }),
  ];
}
