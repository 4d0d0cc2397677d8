import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { projectFile } from '../lib/infra/project-files.js';
import { registerAdminCommands } from './commands/admin/index.js';
import { registerCodecCommands } from './commands/codec.js';
import { registerComplianceCommands } from './commands/compliance.js';
import { registerErasureCommands } from './commands/erasure.js';
import { registerExportCommands } from './commands/export.js';
import { registerHoldCommands } from './commands/holds.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerScheduleCommands } from './commands/schedules.js';
import { registerSearchCommands } from './commands/search.js';
import { registerSyncCommand } from './commands/sync.js';
import { registerWaveCommands } from './commands/wave.js';
import { describeError, EXIT, EXIT_CODES_HELP } from './support.js';

// Each command group's definition (arguments, options, help) lives in cli/commands/
// and registers itself here; add new groups to this list. What a
// command does is in cli/actions/, imported only when it runs (lazyAction), so
// `--help` loads commander and these definitions alone.
const commandGroups: ((program: Command) => void)[] = [
  registerMigrateCommand,
  registerAdminCommands,
  registerSyncCommand,
  registerScheduleCommands,
  registerWaveCommands,
  registerSearchCommands,
  registerComplianceCommands,
  registerExportCommands,
  registerErasureCommands,
  registerHoldCommands,
  registerCodecCommands,
];

const { version } = JSON.parse(readFileSync(projectFile('package.json'), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('scaiwave')
    .description('Operator CLI of scaiwave. Settings come from SCAIWAVE_* variables (see docs/configuration.md).')
    .version(version, '-V, --version', 'print the version')
    .helpCommand('help [command]', 'show help for a command')
    // Set before the commands are added so every subcommand inherits it: commander
    // then throws instead of exiting, and runCli turns usage errors into exit 2.
    .exitOverride()
    .showSuggestionAfterError()
    .addHelpText('after', EXIT_CODES_HELP);
  for (const register of commandGroups) register(program);
  return program;
}

/** Runs one command line (`argv` as in process.argv) and returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    // Commander has already written its message (or the help); 0 for --help and --version.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const { exitCode, message } = describeError(err);
    if (message) process.stderr.write(`scaiwave: ${message}\n`);
    return exitCode;
  }
}
