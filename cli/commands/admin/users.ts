import { Argument, Option, type Command } from 'commander';
import { ROLES, type Role } from '../../../lib/auth/permissions.js';
import { createUser, setUserSource, USER_SOURCES, userRoles, userSource, type UserSource } from '../../../lib/tenancy/users.js';
import { announceCredentialChange, EXIT_CODES_HELP, notFound, print, printJson, withDb } from '../../support.js';
import { jsonOption, parseEmail, parseRoles, parseSubject, requireTenant } from './shared.js';

// `scaiwave admin create-user` and `set-user-source`.

interface CreateUserOptions {
  tenant: string;
  subject: string;
  roles: Role[];
  email?: string;
  json?: boolean;
}

async function createUserCommand(opts: CreateUserOptions): Promise<void> {
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

const SOURCE_EFFECT: Record<UserSource, string> = {
  local: 'identity sync no longer adds over, updates, reactivates or deactivates it; its roles are managed here',
  scaikey: 'the next identity sync manages it: deactivated (and its API keys revoked) unless ScaiKey lists it as active',
};

async function setUserSourceCommand(source: UserSource, opts: { tenant: string; subject: string; json?: boolean }): Promise<void> {
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

export function registerCreateUser(admin: Command): void {
  admin
    .command('create-user')
    .description('create a local user in a tenant: identity sync never touches it (ScaiKey users appear through sign-in or `scaiwave sync`)')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--subject <sub>', 'ScaiKey subject ("sub") of the user', parseSubject)
    .addOption(
      new Option('--roles <roles>', `comma-separated roles out of ${ROLES.join(', ')}`)
        .default(['member'], 'member')
        .argParser(parseRoles),
    )
    .option('--email <email>', 'email of the user', parseEmail)
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(createUserCommand);
}

export function registerSetUserSource(admin: Command): void {
  admin
    .command('set-user-source')
    .description('mark who manages a user: "local" (identity sync never touches it) or "scaikey" (sync adds, updates, deactivates it)')
    .addArgument(new Argument('<source>', 'local or scaikey').choices(USER_SOURCES))
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--subject <sub>', 'ScaiKey subject ("sub") of the user', parseSubject)
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nUsers that existed before the source was recorded count as scaikey. Mark break-glass admins and\n' +
        'service accounts local, or the next identity sync deactivates them when ScaiKey does not list them.\n\n' +
        'Example:\n  scaiwave admin set-user-source --tenant dev --subject dev-admin local\n' +
        EXIT_CODES_HELP,
    )
    .action(setUserSourceCommand);
}
