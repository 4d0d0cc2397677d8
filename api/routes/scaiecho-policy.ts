import Router from '@koa/router';
import { z } from 'zod';
import { getOrProvisionPolicy, setPolicy } from '../../lib/scaiecho/policy.js';
import type { Db } from '../../lib/infra/db.js';
import { ok } from '../envelope.js';
import { callerOf, requirePermission } from '../middleware/auth.js';
import { parse } from '../validate.js';
import type { ApiState } from '../state.js';

const policyBody = z.object({
  allowed_backends: z.enum(['A', 'B', 'AB', 'BA']),
  default_backend: z.enum(['A', 'B']),
});

/** A tenant admin reads and sets which transcription backends the tenant may use. */
export function scaiechoPolicyRoutes(db: Db): Router<ApiState> {
  const router = new Router<ApiState>({ prefix: '/v1/modules/scaiecho/admin/policy' });
  const admin = requirePermission('admin:access');
  const view = (p: { allowedBackends: string; defaultBackend: string }) => ({
    allowed_backends: p.allowedBackends,
    default_backend: p.defaultBackend,
  });
  router.get('/', admin, async (ctx) => {
    ok(ctx, view(await getOrProvisionPolicy(db, callerOf(ctx.state).tenantId)));
  });
  router.put('/', admin, async (ctx) => {
    const b = parse(policyBody, ctx.request.body);
    ok(ctx, view(await setPolicy(db, callerOf(ctx.state).tenantId, { allowedBackends: b.allowed_backends, defaultBackend: b.default_backend })));
  });
  return router;
}
