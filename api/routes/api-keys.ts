import Router from '@koa/router';
import { z } from 'zod';
import { createApiKey, listApiKeys, revokeApiKey } from '../../lib/auth/api-keys.js';
import type { CredentialChanges } from '../../lib/auth/credential-changes.js';
import type { Db } from '../../lib/infra/db.js';
import { notFound } from '../../lib/errors.js';
import { callerOf } from '../middleware/auth.js';
import { ok } from '../envelope.js';
import { parse } from '../validate.js';
import type { ApiState } from '../state.js';

const createBody = z.object({
  name: z.string().trim().min(1).max(255),
  expires_at: z.iso.datetime().optional(),
});

/** Callers manage their own keys; tenant admins may see and revoke any key of their tenant. */
export function apiKeyRoutes(db: Db, changes: CredentialChanges): Router<ApiState> {
  const router = new Router<ApiState>();

  router.post('/v1/api-keys', async (ctx) => {
    const caller = callerOf(ctx.state);
    const body = parse(createBody, ctx.request.body);
    const created = await createApiKey(db, {
      tenantId: caller.tenantId,
      userId: caller.userId,
      name: body.name,
      expiresAt: body.expires_at ? new Date(body.expires_at) : undefined,
    });
    ok(ctx, { id: created.id, key: created.key, prefix: created.prefix, name: body.name }, 201);
  });

  router.get('/v1/api-keys', async (ctx) => {
    const caller = callerOf(ctx.state);
    const admin = caller.permissions.has('admin:access');
    const keys = await listApiKeys(db, caller.tenantId, admin ? undefined : caller.userId);
    ok(
      ctx,
      keys.map((k) => ({
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        user_id: k.userId,
        created_at: k.createdAt.toISOString(),
        last_used_at: k.lastUsedAt?.toISOString() ?? null,
        expires_at: k.expiresAt?.toISOString() ?? null,
        revoked_at: k.revokedAt?.toISOString() ?? null,
      })),
    );
  });

  router.delete('/v1/api-keys/:id', async (ctx) => {
    const caller = callerOf(ctx.state);
    const admin = caller.permissions.has('admin:access');
    const key = await db.apiKey.findFirst({
      where: { id: ctx.params.id, tenantId: caller.tenantId, ...(admin ? {} : { userId: caller.userId }) },
      select: { id: true },
    });
    if (!key || !(await revokeApiKey(db, { tenantId: caller.tenantId, id: key.id }))) throw notFound('API key');
    await changes.announce({ kind: 'api_key', tenantId: caller.tenantId, apiKeyId: key.id });
    ok(ctx, { id: key.id, revoked: true });
  });

  return router;
}
