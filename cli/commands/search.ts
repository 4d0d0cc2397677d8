import type { Command } from 'commander';
import { EXIT_CODES_HELP, lazyAction } from '../support.js';
import { jsonOption, parseSlug } from './admin/arguments.js';

// `scaiwave search reindex`: arguments and help; what it does is in actions/search.ts.

const actions = () => import('../actions/search.js');

export function registerSearchCommands(program: Command): void {
  const search = program.command('search').description('ScaiWave message search: the index behind GET /v1/wave/search');
  search
    .command('reindex')
    .description("rebuild a tenant's (or one room's) index from MariaDB while live indexing goes on; watches the run with a progress bar")
    .requiredOption('--tenant <slug>', 'the tenant', parseSlug)
    .option('--room <room-id>', 'only this room')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nThe run is a workflow (wave-search-reindex-{tenantId}[-{roomId}]): stopping this command leaves it running, and running ' +
        `the command again watches the same run.\n\nExample:\n  scaiwave search reindex --tenant acme\n${EXIT_CODES_HELP}`,
    )
    .action(lazyAction(() => actions().then((m) => m.reindexCommand)));
}
