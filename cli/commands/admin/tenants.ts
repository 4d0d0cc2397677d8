import { Option, type Command } from 'commander';
import { TENANT_TIERS } from '../../../lib/tenancy/tenant-fields.js';
import { EXIT_CODES_HELP, lazyAction } from '../../support.js';
import { jsonOption, parseEmail, parseName, parseSlug, parseSubject } from './arguments.js';

// `scaiwave admin create-tenant` and `list-tenants`: arguments and help.

const actions = () => import('../../actions/admin/tenants.js');

export function registerCreateTenant(admin: Command): void {
  admin
    .command('create-tenant')
    .description('create a tenant with a local admin user and that user\'s first API key (printed once)')
    .argument('<slug>', 'tenant slug: 2-63 lowercase letters, digits or dashes (the "tenant" claim of its tokens)', parseSlug)
    .requiredOption('--name <name>', 'display name of the tenant', parseName)
    .addOption(new Option('--tier <tier>', 'service tier').choices(TENANT_TIERS).default('free'))
    .addOption(
      new Option('--admin-subject <sub>', 'ScaiKey subject ("sub") of the admin user').default('admin').argParser(parseSubject),
    )
    .option('--admin-email <email>', 'email of the admin user', parseEmail)
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExample:\n  scaiwave admin create-tenant acme --name "Acme Corp" --tier pro --admin-subject alice --admin-email alice@acme.example\n' +
        EXIT_CODES_HELP,
    )
    .action(lazyAction(() => actions().then((m) => m.createTenantCommand)));
}

export function registerListTenants(admin: Command): void {
  admin
    .command('list-tenants')
    .description('list tenants with tier, status, effective rate limits, user count and ScaiEcho policy')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nRate limits are the effective ones: the tenant\'s features.rate_limits, else the\n' +
        'SCAIWAVE_RATE_LIMIT_TENANT_PER_MINUTE / SCAIWAVE_RATE_LIMIT_KEY_PER_MINUTE defaults.\n' +
        'SCAIECHO shows the tenant\'s backend policy (allowed/default) or "tier default".\n' +
        EXIT_CODES_HELP,
    )
    .action(lazyAction(() => actions().then((m) => m.listTenantsCommand)));
}
