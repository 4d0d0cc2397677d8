import { Option, type Command } from 'commander';
import { EXIT_CODES_HELP, lazyAction } from '../../support.js';
import { jsonOption, MAX_KEY_DAYS, parseDays, parseName, parseSubject } from './arguments.js';

// `scaiwave admin create-api-key` and `revoke-api-key`: arguments and help.

const actions = () => import('../../actions/admin/api-keys.js');

export function registerCreateApiKey(admin: Command): void {
  admin
    .command('create-api-key')
    .description('create an API key for an existing user (printed once)')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--subject <sub>', 'ScaiKey subject ("sub") of the user who will own the key', parseSubject)
    .addOption(new Option('--name <name>', 'label for the key').default('cli key').argParser(parseName))
    .option('--expires-in-days <n>', `days until the key expires (1-${MAX_KEY_DAYS}); default never`, parseDays)
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.createApiKeyCommand)));
}

export function registerRevokeApiKey(admin: Command): void {
  admin
    .command('revoke-api-key')
    .description('revoke an API key; it stops authenticating at once (revoking twice is fine)')
    .argument('<key-id>', 'id of the key (as printed by create-api-key or listed by GET /v1/api-keys)')
    .requiredOption('--tenant <slug>', 'tenant slug the key belongs to')
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.revokeApiKeyCommand)));
}
