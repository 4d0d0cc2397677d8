import { COMPLIANCE_PERMISSIONS } from '../../lib/auth/permissions.js';
import { z } from 'zod';
import type { RouteDeps } from '../../lib/http/route-deps.js';
import { callerOf } from '../../lib/http/auth.js';
import { operation } from '../../lib/http/operation.js';
import { decimalText } from '../../lib/http/validate.js';
import { startUserErasure, userErasureProgress } from './client.js';
import { ERASURE_MODES, erasureView, findErasure, listErasures, receiptsOf, requestUserErasure, type ErasureSubject } from './erasures.js';
import { userErasure } from './schemas.js';

// GDPR erasure of a whole user (domains/erasure/). Compliance officers and
// admins of the user's tenant only; a user of another tenant is not found.

const newErasure = z
  .strictObject({
    user_id: z.string().min(1).max(36).optional().meta({ description: 'the user to erase' }),
    scaikey_subject: z.string().min(1).max(255).optional().meta({ description: "or their ScaiKey subject (`sub`)" }),
    mode: z.enum(ERASURE_MODES).default('redact').meta({ description: '`redact` (default) leaves tombstones so threads hold; `delete` removes the rows no one replied to' }),
  })
  .refine((b) => (b.user_id === undefined) !== (b.scaikey_subject === undefined), { message: 'give exactly one of user_id and scaikey_subject' });
const erasureParams = z.object({ erasureId: z.string().min(1).max(36).meta({ description: 'the erasure id' }) });
const listQuery = z.object({ limit: decimalText(z.number().int().min(1).max(100)).default(50) });

export function erasureRoutes(deps: RouteDeps) {
  const tag = 'compliance';
  const compliance = COMPLIANCE_PERMISSIONS;
  const view = async (e: Awaited<ReturnType<typeof findErasure>>) => erasureView(e, await receiptsOf(deps.db, e.id), await userErasureProgress(deps, e));
  return [
    operation({
      method: 'post',
      path: '/v1/compliance/erasures',
      operationId: 'eraseUser',
      summary: "Erase a user: their messages, media, jobs, speakers, events and identity, in every store",
      description:
        'Starts the erasure and answers at once; follow it at GET /v1/compliance/erasures/{id}. One erasure per user however often it is asked: ' +
        'asking again answers the one already requested (in the mode it was asked with). Each store erased leaves an immutable receipt.',
      tag,
      permission: compliance,
      body: newErasure,
      responses: { 202: { description: 'started, or already requested', data: userErasure } },
      errors: ['NOT_FOUND', 'CONFLICT'],
    }).handle(async (ctx, { body }) => {
      const caller = callerOf(ctx.state);
      const subject: ErasureSubject = body.user_id !== undefined ? { userId: body.user_id } : { scaikeySubject: body.scaikey_subject! };
      const e = await requestUserErasure(deps.db, { tenantId: caller.tenantId, userId: caller.userId }, subject, body.mode);
      await startUserErasure(deps, e);
      return { status: 202, data: await view(e) };
    }),
    operation({
      method: 'get',
      path: '/v1/compliance/erasures/:erasureId',
      operationId: 'getUserErasure',
      summary: 'An erasure: where it is, and a receipt per store with its proof',
      tag,
      permission: compliance,
      params: erasureParams,
      responses: { 200: { description: 'the erasure', data: userErasure } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => ({ status: 200, data: await view(await findErasure(deps.db, callerOf(ctx.state).tenantId, params.erasureId)) })),
    operation({
      method: 'get',
      path: '/v1/compliance/erasures',
      operationId: 'listUserErasures',
      summary: "The tenant's erasures, newest first",
      tag,
      permission: compliance,
      query: listQuery,
      responses: { 200: { description: 'the erasures', data: z.object({ erasures: z.array(userErasure) }) } },
    }).handle(async (ctx, { query }) => {
      const found = await listErasures(deps.db, callerOf(ctx.state).tenantId, query.limit);
      return { status: 200, data: { erasures: await Promise.all(found.map(view)) } };
    }),
  ];
}
