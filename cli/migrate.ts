import { pathToFileURL } from 'node:url';
import { loadConfigOrExit } from '../lib/config.js';
import { applyMigrations } from '../lib/infra/migrate.js';

export async function runMigrateCommand(): Promise<number> {
  const config = loadConfigOrExit();
  try {
    await applyMigrations(config.db, { log: (line) => process.stdout.write(`${line}\n`) });
    return 0;
  } catch (err) {
    process.stderr.write(`scaiwave migrate: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runMigrateCommand();
}
