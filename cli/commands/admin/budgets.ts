import type { Command } from 'commander';
import { EXIT_CODES_HELP, lazyAction } from '../../support.js';
import { jsonOption, parseSubject, parseWhole } from './arguments.js';

// `scaiwave admin set-budget`: arguments and help.

const actions = () => import('../../actions/admin/budgets.js');

export function registerSetBudget(admin: Command): void {
  admin
    .command('set-budget')
    .description('set the monthly usage budget of a tenant, or of one of its users (402 BUDGET_EXCEEDED beyond it)')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .option('--subject <sub>', 'ScaiKey subject ("sub") of a user, for a budget of that user alone', parseSubject)
    .option('--requests <n>', 'requests per calendar month (UTC)', parseWhole)
    .option('--tokens <n>', 'model tokens per calendar month', parseWhole)
    .option('--audio-minutes <n>', 'minutes of audio transcribed per calendar month', parseWhole)
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nA limit left out is no limit; giving none removes the budget. Checked before any upstream work,\n' +
        'against usage counted as it happens (not only what the last accounting flush wrote).\n\n' +
        'Example:\n  scaiwave admin set-budget --tenant acme --audio-minutes 600 --requests 100000\n' +
        EXIT_CODES_HELP,
    )
    .action(lazyAction(() => actions().then((m) => m.setBudgetCommand)));
}
