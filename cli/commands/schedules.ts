import { Argument, Option, type Command } from 'commander';
import { SCHEDULE_NAMES } from '../../lib/temporal/schedule-names.js';
import { EXIT_CODES_HELP, lazyAction } from '../support.js';

// `scaiwave schedules …`: arguments and help; what each does is in actions/schedules.ts.

const actions = () => import('../actions/schedules.js');
const jsonOption = () => new Option('--json', 'print one JSON document to stdout instead of text');
const nameArgument = () => new Argument('<name>', 'schedule name').choices(SCHEDULE_NAMES);

export function registerScheduleCommands(program: Command): void {
  const schedules = program
    .command('schedules')
    .description('the Temporal Schedules behind accounting flush, identity sync and retention purge')
    .addHelpText(
      'after',
      `\nSchedules: ${SCHEDULE_NAMES.join(', ')}. Intervals come from SCAIWAVE_*_INTERVAL_SECONDS;\n` +
        'every schedule skips a run while the previous one is still going.\n' +
        EXIT_CODES_HELP,
    );

  schedules
    .command('apply')
    .description('create missing schedules and update changed ones to match this configuration (idempotent)')
    .addOption(jsonOption())
    .addHelpText('after', '\nA paused schedule stays paused. `npm start` runs this too.\n' + EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.applyCommand)));

  schedules
    .command('list')
    .description('show each schedule: state, interval, jitter, next and last run, note')
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.listCommand)));

  schedules
    .command('pause')
    .description('stop a schedule from starting runs (a run in progress finishes)')
    .addArgument(nameArgument())
    .option('--note <text>', 'why, shown in the Temporal UI')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.pauseCommand)));

  schedules
    .command('unpause')
    .description('let a paused schedule start runs again')
    .addArgument(nameArgument())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.unpauseCommand)));

  schedules
    .command('trigger')
    .description('start a run now, outside the schedule (skipped if one is running)')
    .addArgument(nameArgument())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.triggerCommand)));
}
