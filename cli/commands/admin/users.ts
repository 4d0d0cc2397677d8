import { Argument, Option, type Command } from 'commander';
import { ROLES } from '../../../lib/auth/permissions.js';
import { ASSIGNABLE_USER_SOURCES } from '../../../lib/tenancy/user-fields.js';
import { EXIT_CODES_HELP, lazyAction } from '../../support.js';
import { jsonOption, parseEmail, parseRoles, parseSubject } from './arguments.js';

// `scaiwave admin create-user` and `set-user-source`: arguments and help.

const actions = () => import('../../actions/admin/users.js');

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
    .action(lazyAction(() => actions().then((m) => m.createUserCommand)));
}

export function registerSetUserSource(admin: Command): void {
  admin
    .command('set-user-source')
    .description('mark who manages a user: "local" (identity sync never touches it) or "scaikey" (sync adds, updates, deactivates it)')
    .addArgument(new Argument('<source>', 'local or scaikey').choices(ASSIGNABLE_USER_SOURCES))
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
    .action(lazyAction(() => actions().then((m) => m.setUserSourceCommand)));
}
