import { z } from 'zod';
import { createApiKey, listApiKeys, revokeApiKey } from '../../../lib/auth/api-keys.js';
import type { CredentialChanges } from '../../../lib/auth/credential-changes.js';
import type { Db } from '../../../lib/infra/db.js';
import { notFound } from '../../../lib/errors.js';
import { callerOf } from '../../../lib/http/auth.js';
import { operation } from '../../../lib/http/operation.js';
import { line } from '../../../lib/http/text.js';

const createBody = z.strictObject({
  name: line().trim().min(1).max(255),
  expires_at: z.iso.datetime().optional().meta({ description: 'UTC, e.g. 2027-01-31T00:00:00Z; absent, the key does not expire' }),
});

const createdKey = z.object({
  id: z.string(),
  key: z.string().meta({ description: 'the secret, `sgk_…`: shown this once, only its hash is kept' }),
  prefix: z.string(),
  name: z.string(),
});

const listedKey = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().meta({ description: 'the start of the key, to recognise it by' }),
    user_id: z.string(),
    created_at: z.iso.datetime(),
    last_used_at: z.iso.datetime().nullable().meta({ description: 'to the minute' }),
    expires_at: z.iso.datetime().nullable(),
    revoked_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ApiKey' });

const keyId = z.object({ id: z.string().meta({ description: 'the API key id' }) });

/** Callers manage their own keys; tenant admins may see and revoke any key of their tenant. */
export function apiKeyRoutes(db: Db, changes: CredentialChanges) {
  return [
    operation({
      method: 'post',
      path: '/v1/api-keys',
      operationId: 'createApiKey',
      summary: 'Make an API key acting as the caller',
      tag: 'api keys',
      body: createBody,
      responses: { 201: { description: 'the key, shown once', data: createdKey } },
    }).handle(async (ctx, { body }) => {
      const caller = callerOf(ctx.state);
      const created = await createApiKey(db, {
        tenantId: caller.tenantId,
        userId: caller.userId,
        name: body.name,
        expiresAt: body.expires_at ? new Date(body.expires_at) : undefined,
      });
      return { status: 201, data: { id: created.id, key: created.key, prefix: created.prefix, name: body.name } };
    }),
    operation({
      method: 'get',
      path: '/v1/api-keys',
      operationId: 'listApiKeys',
      summary: "The caller's keys; a tenant admin's: every key of the tenant",
      tag: 'api keys',
      responses: { 200: { description: 'the keys, revoked ones included', data: z.array(listedKey) } },
    }).handle(async (ctx) => {
      const caller = callerOf(ctx.state);
      const admin = caller.permissions.has('admin:access');
      const keys = await listApiKeys(db, caller.tenantId, admin ? undefined : caller.userId);
      return {
        status: 200,
        data: keys.map((k) => ({
          id: k.id,
          name: k.name,
          prefix: k.prefix,
          user_id: k.userId,
          created_at: k.createdAt.toISOString(),
          last_used_at: k.lastUsedAt?.toISOString() ?? null,
          expires_at: k.expiresAt?.toISOString() ?? null,
          revoked_at: k.revokedAt?.toISOString() ?? null,
        })),
      };
    }),
    operation({
      method: 'delete',
      path: '/v1/api-keys/:id',
      operationId: 'revokeApiKey',
      summary: 'Revoke a key',
      description: "The caller's own key; a tenant admin may revoke any key of the tenant. Every API process stops accepting it at once.",
      tag: 'api keys',
      params: keyId,
      responses: { 200: { description: 'revoked', data: z.object({ id: z.string(), revoked: z.literal(true) }) } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => {
      const caller = callerOf(ctx.state);
      const admin = caller.permissions.has('admin:access');
      const key = { tenantId: caller.tenantId, id: params.id, ...(admin ? {} : { userId: caller.userId }) };
      if (!(await revokeApiKey(db, key))) throw notFound('API key');
      await changes.announce({ kind: 'api_key', tenantId: caller.tenantId, apiKeyId: key.id });
      return { status: 200, data: { id: key.id, revoked: true as const } };
    }),
  ];
}
