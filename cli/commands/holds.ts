import { Option, type Command } from 'commander';
import { EXIT_CODES_HELP, lazyAction } from '../support.js';
import { jsonOption, parseSlug } from './admin/arguments.js';

// `scaiwave hold place|release|list`: legal holds; arguments and help here,
// what they do in actions/holds.ts.

const actions = () => import('../actions/holds.js');

export function registerHoldCommands(program: Command): void {
  const hold = program.command('hold').description('legal holds on a user, a room or a tenant: erasures and retention purges of held data wait until release');
  hold
    .command('place')
    .description('place a hold (recorded with its reason; never deleted, only released)')
    .requiredOption('--tenant <slug>', 'the tenant', parseSlug)
    .addOption(new Option('--scope <scope>', 'what it covers').choices(['user', 'room', 'tenant']).makeOptionMandatory())
    .option('--target <id>', "the user's or the room's id (not for --scope tenant)")
    .requiredOption('--reason <text>', 'the matter or case it is held for')
    .addOption(jsonOption())
    .addHelpText('after', `\nExample:\n  scaiwave hold place --tenant acme --scope room --target 01a2… --reason "case 2026-114"\n${EXIT_CODES_HELP}`)
    .action(lazyAction(() => actions().then((m) => m.placeCommand)));
  hold
    .command('release')
    .description('release a hold: erasures waiting on it go on')
    .argument('<hold-id>')
    .requiredOption('--tenant <slug>', 'the tenant', parseSlug)
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.releaseCommand)));
  hold
    .command('list')
    .description("a tenant's holds in force, newest first")
    .requiredOption('--tenant <slug>', 'the tenant', parseSlug)
    .option('--all', 'released ones too')
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.listCommand)));
}
