import { z } from 'zod';
import { ROLES, PERMISSIONS, PLATFORM_PERMISSIONS } from '../../../lib/auth/permissions.js';
import { USER_SOURCES } from '../../../lib/tenancy/user-fields.js';
import { callerOf } from '../../../lib/http/auth.js';
import { operation } from '../../../lib/http/operation.js';

const me = z
  .object({
    tenant_id: z.string(),
    tenant_slug: z.string(),
    user_id: z.string(),
    subject: z.string(),
    source: z.enum(USER_SOURCES).meta({ description: 'who manages the user: the ScaiKey directory, or this deployment' }),
    via: z.enum(['jwt', 'api_key']),
    api_key_id: z.string().nullable(),
    roles: z.array(z.string()).meta({ description: `as granted; those that mean something here: ${ROLES.join(', ')}` }),
    permissions: z.array(z.enum([...PERMISSIONS, ...PLATFORM_PERMISSIONS])),
  })
  .meta({ id: 'Me' });

export function meRoutes() {
  return [
    operation({
      method: 'get',
      path: '/v1/me',
      operationId: 'getMe',
      summary: 'Who the credential resolves to',
      tag: 'identity',
      responses: { 200: { description: 'the caller', data: me } },
    }).handle((ctx) => {
      const c = callerOf(ctx.state);
      return {
        status: 200,
        data: {
          tenant_id: c.tenantId,
          tenant_slug: c.tenantSlug,
          user_id: c.userId,
          subject: c.subject,
          source: c.source,
          via: c.via,
          api_key_id: c.apiKeyId,
          roles: [...c.roles],
          permissions: [...c.permissions].sort(),
        },
      };
    }),
  ];
}
