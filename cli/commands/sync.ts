import { InvalidArgumentError, Option, type Command } from 'commander';
import { EXIT_CODES_HELP, lazyAction } from '../support.js';

// `scaiwave sync`: its arguments and help; what it does is in actions/sync.ts.

function parseSeconds(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 86_400) throw new InvalidArgumentError('must be a whole number of seconds from 1 to 86400.');
  return n;
}

export function registerSyncCommand(program: Command): void {
  program
    .command('sync')
    .description('identity sync against ScaiKey now: add, update and deactivate its users; waits, shows progress, prints the counts')
    .option('--tenant <slug>', 'sync only this tenant (default: every active tenant)')
    .addOption(new Option('--timeout <seconds>', 'give up waiting after this long').default(600).argParser(parseSeconds))
    .addOption(new Option('--json', 'print one JSON document to stdout instead of text'))
    .addHelpText(
      'after',
      '\nScaiKey is the source of truth for the users it manages (source "scaikey"): those it no longer\n' +
        'lists as active are deactivated and their API keys revoked (nothing is deleted), unless ScaiKey\n' +
        'failed, sent a truncated listing, or lists fewer active users than\n' +
        'SCAIWAVE_IDENTITY_SYNC_MIN_PRESENT_PERCENT of the scaikey users known here; then nobody is\n' +
        'deactivated and the reason is printed. Local users (the bootstrap admin, service accounts, users\n' +
        'made by `scaiwave admin`) are never touched; a ScaiKey user with a local user\'s subject is left\n' +
        'alone and counted as "skipped (local)". Progress goes to stderr every second; results to stdout.\n' +
        'Needs a running scaiwave-worker. Every run is recorded in identity_sync_runs.\n' +
        EXIT_CODES_HELP,
    )
    .action(lazyAction(() => import('../actions/sync.js').then((m) => m.syncCommand)));
}
