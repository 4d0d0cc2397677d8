import type { Command } from 'commander';
import { EXIT_CODES_HELP } from '../../support.js';
import { registerCreateApiKey, registerRevokeApiKey } from './api-keys.js';
import { registerSetBudget } from './budgets.js';
import { registerCreateTenant, registerListTenants } from './tenants.js';
import { registerCreateUser, registerSetUserSource } from './users.js';

// `scaiwave admin …`: tenants, their users and API keys, straight against the
// database (no API process needed), for bootstrapping and break-glass work.
// Each file holds a small group of commands; this order is the order `--help` lists them in.

export function registerAdminCommands(program: Command): void {
  const admin = program
    .command('admin')
    .description('manage tenants, users and API keys directly in the database')
    .addHelpText('after', EXIT_CODES_HELP);
  registerCreateTenant(admin);
  registerCreateApiKey(admin);
  registerRevokeApiKey(admin);
  registerListTenants(admin);
  registerCreateUser(admin);
  registerSetUserSource(admin);
  registerSetBudget(admin);
}
