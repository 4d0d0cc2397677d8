import { z } from 'zod';
import type { Db } from '../../lib/infra/db.js';
import { ALLOWED_BACKENDS, BACKENDS, getOrProvisionPolicy, setPolicy, type TenantPolicy } from './policy.js';
import { callerOf } from '../../lib/http/auth.js';
import { operation } from '../../lib/http/operation.js';

const policy = z
  .strictObject({
    allowed_backends: z.enum(ALLOWED_BACKENDS).meta({ description: 'A: self-hosted ScaiInfer nodes, B: the managed relay; two letters: both, in this order of preference' }),
    default_backend: z.enum(BACKENDS).meta({ description: 'one of allowed_backends' }),
  })
  .meta({ id: 'ScaiechoPolicy' });

const view = (p: TenantPolicy) => ({ allowed_backends: p.allowedBackends, default_backend: p.defaultBackend });

const PATH = '/v1/modules/scaiecho/admin/policy';

/** A tenant admin reads and sets which transcription backends the tenant may use. */
export function scaiechoPolicyRoutes(db: Db) {
  return [
    operation({
      method: 'get',
      path: PATH,
      operationId: 'getScaiechoPolicy',
      summary: "The tenant's transcription backends",
      tag: 'scaiecho admin',
      permission: ['admin:access'],
      responses: { 200: { description: 'the policy (the tier default until one is set)', data: policy } },
    }).handle(async (ctx) => ({ status: 200, data: view(await getOrProvisionPolicy(db, callerOf(ctx.state).tenantId)) })),
    operation({
      method: 'put',
      path: PATH,
      operationId: 'setScaiechoPolicy',
      summary: "Set the tenant's transcription backends",
      tag: 'scaiecho admin',
      permission: ['admin:access'],
      body: policy,
      responses: { 200: { description: 'the policy now in force', data: policy } },
    }).handle(async (ctx, { body }) => ({
      status: 200,
      data: view(await setPolicy(db, callerOf(ctx.state).tenantId, { allowedBackends: body.allowed_backends, defaultBackend: body.default_backend })),
    })),
  ];
}
