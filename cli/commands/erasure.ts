import { InvalidArgumentError, Option, type Command } from 'commander';
import { EXIT_CODES_HELP, lazyAction } from '../support.js';
import { jsonOption, parseSlug } from './admin/arguments.js';

// `scaiwave erasure start|status|list|approve|reject|verify`: GDPR erasure of a whole user;
// arguments and help here, what they do in actions/erasure.ts.

const actions = () => import('../actions/erasure.js');

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerErasureCommands(program: Command): void {
  const erasure = program.command('erasure').description("GDPR erasure of a user: every store, a receipt per store, and a scan that proves nothing is left");
  erasure
    .command('start')
    .description('erase a user (one erasure per user: asking again shows the one already requested)')
    .requiredOption('--tenant <slug>', "the user's tenant", parseSlug)
    .option('--user <id>', 'the user id')
    .option('--subject <sub>', 'or their ScaiKey subject')
    .addOption(new Option('--mode <mode>', 'redact (default): tombstones keep threads whole; delete: rows no one replied to go').choices(['redact', 'delete']).default('redact'))
    .addOption(jsonOption())
    .addHelpText('after', `\nExample:\n  scaiwave erasure start --tenant acme --subject 8c1f…\n${EXIT_CODES_HELP}`)
    .action(lazyAction(() => actions().then((m) => m.startCommand)));
  erasure
    .command('status')
    .description('an erasure: where it is, and its receipt per store with the proof')
    .argument('<erasure-id>')
    .requiredOption('--tenant <slug>', 'the tenant', parseSlug)
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.statusCommand)));
  erasure
    .command('list')
    .description("a tenant's erasures, newest first; with --requests or --overdue, users' own erasure requests awaiting a decision")
    .requiredOption('--tenant <slug>', 'the tenant', parseSlug)
    .option('--requests', "users' own erasure requests still pending, soonest due first")
    .option('--overdue', 'only the pending requests whose deadline passed')
    .option('--limit <n>', 'how many', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('must be 1-1000.');
      return n;
    })
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.listCommand)));
  erasure
    .command('approve')
    .description("approve a user's own erasure request: their erasure starts")
    .argument('<request-id>')
    .requiredOption('--tenant <slug>', 'the tenant', parseSlug)
    .addOption(new Option('--mode <mode>', 'the erasure mode, as for start').choices(['redact', 'delete']).default('redact'))
    .option('--note <text>', 'a note kept with the decision')
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.approveCommand)));
  erasure
    .command('reject')
    .description("reject a user's own erasure request, with the reason they are given")
    .argument('<request-id>')
    .requiredOption('--tenant <slug>', 'the tenant', parseSlug)
    .requiredOption('--note <text>', 'why (the user reads it)')
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.rejectCommand)));
  erasure
    .command('verify')
    .description("search every store (MariaDB, S3, Redis, JetStream, the search index files, Temporal histories) for the user's id and the clues given; exit 6 on any hit")
    .argument('<erasure-id>')
    .requiredOption('--tenant <slug>', 'the tenant', parseSlug)
    .option('--email <address>', "the user's email")
    .option('--subject <sub>', 'their ScaiKey subject')
    .option('--phrase <text>', 'exact text of one of their messages, transcripts or file names (repeatable)', collect)
    .addOption(jsonOption())
    .addHelpText('after', `\nThe clues are not stored anywhere; the report names each by kind (email, phrase 1…), never by its text.\n${EXIT_CODES_HELP}`)
    .action(lazyAction(() => actions().then((m) => m.verifyCommand)));
}
