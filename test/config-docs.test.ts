import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configDefaults, configVariables } from '../lib/config.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('configuration docs', () => {
  it('docs/configuration.md and .env.example are up to date with the schema', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen-config-docs.ts', '--check'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
  });

  it('.env.example names every variable, with its default or commented out when it has none', () => {
    const env = read('.env.example');
    const defaults = configDefaults();
    for (const name of configVariables) {
      const d = defaults[name];
      const line = env.split('\n').find((l) => l.startsWith(`${name}=`) || l.startsWith(`# ${name}=`));
      expect(line, `${name} missing from .env.example`).toBeDefined();
      if (d === undefined || d === '') expect(line).toBe(`# ${name}=`);
      // Defaults with shell-special characters are single-quoted.
      else expect([`${name}=${d}`, `${name}='${d.replace(/'/g, `'\\''`)}'`]).toContain(line);
    }
  });

  it('docs/configuration.md has a table row for every variable', () => {
    const docs = read('docs/configuration.md');
    for (const name of configVariables) expect(docs).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  });
});
