import { InvalidArgumentError, type Command } from 'commander';
import { EXIT_CODES_HELP, lazyAction } from '../support.js';
import { jsonOption, parseSlug } from './admin/arguments.js';

// `scaiwave compliance schedule|run|runs`: a tenant's scheduled compliance
// exports; arguments and help here, what they do in actions/compliance.ts.

const actions = () => import('../actions/compliance.js');

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `86400`, `90m`, `12h`, `1d`: at least a minute. */
function parsePeriod(value: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(value);
  const seconds = m ? Number(m[1]) * UNITS[m[2] || 's']! : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 60) throw new InvalidArgumentError('must be a period of at least a minute: seconds, or a number with s, m, h or d (e.g. 1d).');
  return seconds;
}

export function registerComplianceCommands(program: Command): void {
  const compliance = program.command('compliance').description("scheduled compliance exports: every room's new messages and media, each period, to the compliance prefix");
  compliance
    .command('schedule')
    .description("set a tenant's schedule (its own Temporal Schedule), change its period, or remove it")
    .requiredOption('--tenant <slug>', 'the tenant', parseSlug)
    .option('--every <period>', 'the period each run exports, e.g. 1d (default) or 12h', parsePeriod)
    .option('--off', 'remove the schedule; bundles already made stay')
    .addOption(jsonOption())
    .addHelpText('after', `\nExample:\n  scaiwave compliance schedule --tenant acme --every 1d\n${EXIT_CODES_HELP}`)
    .action(lazyAction(() => actions().then((m) => m.scheduleCommand)));
  compliance
    .command('run')
    .description("run a tenant's schedule now (it exports up to the end of the last whole period)")
    .requiredOption('--tenant <slug>', 'the tenant', parseSlug)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.runCommand)));
  compliance
    .command('runs')
    .description("a tenant's scheduled exports, newest first: room, period, status, size, warnings; and the schedule's next run")
    .requiredOption('--tenant <slug>', 'the tenant', parseSlug)
    .option('--limit <n>', 'how many', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('must be 1-1000.');
      return n;
    })
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.runsCommand)));
}
