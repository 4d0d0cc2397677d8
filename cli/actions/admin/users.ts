import type { Role } from '../../../lib/auth/permissions.js';
import type { AssignableUserSource } from '../../../lib/tenancy/user-fields.js';
import { createUser, setUserSource, userRoles, userSource } from '../../../lib/tenancy/users.js';
import { announceCredentialChange, withDb } from '../../connections.js';
import { notFound, print, printJson } from '../../support.js';
import { requireTenant } from './shared.js';

// What `scaiwave admin create-user` and `set-user-source` do (arguments and help: commands/admin/users.ts).

interface CreateUserOptions {
  tenant: string;
  subject: string;
  roles: Role[];
  email?: string;
  json?: boolean;
}

export async function createUserCommand(opts: CreateUserOptions): Promise<void> {
  const { tenant, user } = await withDb(async ({ db }) => {
    const tenant = await requireTenant(db, opts.tenant);
    const user = await createUser(db, { tenantId: tenant.id, subject: opts.subject, email: opts.email, roles: opts.roles });
    return { tenant, user };
  });
  if (opts.json) {
    printJson({
      tenant: { id: tenant.id, slug: tenant.slug },
      user: {
        id: user.id,
        subject: user.scaikeySubject,
        email: user.email,
        roles: userRoles(user),
        status: user.status,
        source: userSource(user),
      },
    });
    return;
  }
  print(
    `Created user "${user.scaikeySubject}" in tenant "${tenant.slug}"`,
    `User id:     ${user.id}`,
    `Roles:       ${userRoles(user).join(', ')}`,
    `Source:      ${userSource(user)} (identity sync never touches it)`,
    ...(user.email ? [`Email:       ${user.email}`] : []),
  );
}

const SOURCE_EFFECT: Record<AssignableUserSource, string> = {
  local: 'identity sync no longer adds over, updates, reactivates or deactivates it; its roles are managed here',
  scaikey: 'the next identity sync manages it: deactivated (and its API keys revoked) unless ScaiKey lists it as active',
};

export async function setUserSourceCommand(source: AssignableUserSource, opts: { tenant: string; subject: string; json?: boolean }): Promise<void> {
  const { tenant, changed } = await withDb(async ({ db, config }) => {
    const tenant = await requireTenant(db, opts.tenant);
    const changed = await setUserSource(db, { tenantId: tenant.id, subject: opts.subject }, source);
    if (!changed) throw notFound(`user "${opts.subject}" not found in tenant "${tenant.slug}"`);
    await announceCredentialChange(config, { kind: 'user', tenantId: tenant.id, userId: changed.user.id });
    return { tenant, changed };
  });
  const { user, previous } = changed;
  if (opts.json) {
    printJson({
      tenant: { id: tenant.id, slug: tenant.slug },
      user: { id: user.id, subject: user.scaikeySubject, status: user.status, source: userSource(user), previous_source: previous },
    });
    return;
  }
  print(
    previous === source
      ? `User "${user.scaikeySubject}" of tenant "${tenant.slug}" was already ${source}`
      : `User "${user.scaikeySubject}" of tenant "${tenant.slug}" is now ${source} (was ${previous}): ${SOURCE_EFFECT[source]}`,
    ...(user.status !== 'active' ? [`Note: the user is ${user.status}; this does not reactivate it.`] : []),
  );
}
