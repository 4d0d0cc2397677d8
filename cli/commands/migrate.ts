import type { Command } from 'commander';
import { CliError } from '../support.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (prisma/migrations), then exit; safe to run from every replica')
    .addHelpText(
      'after',
      '\nCreates the database named in SCAIWAVE_DB_URL if it is missing and records each migration in\n' +
        '_prisma_migrations exactly as `prisma migrate deploy` does. Replicas starting together wait\n' +
        'for each other. Exit code 0 when the schema is current, 1 when a migration could not be applied.',
    )
    .action(async () => {
      const { runMigrateCommand } = await import('../migrate.js');
      const code = await runMigrateCommand();
      // runMigrateCommand has already printed its reason.
      if (code !== 0) throw new CliError(code, '');
    });
}
