import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const devstackDir = path.join(repoRoot, '.devstack');

/** The binaries scripts/ensure-tools.sh installs into the project's own venv; PATH as a fallback. */
export function binary(name: 'temporal' | 'weed' | 'schemathesis'): string {
  const local = path.join(devstackDir, 'venv', 'bin', name);
  if (fs.existsSync(local)) return local;
  const fromPath = (process.env.PATH ?? '')
    .split(path.delimiter)
    .map((dir) => path.join(dir, name))
    .find((p) => fs.existsSync(p));
  if (!fromPath) throw new Error(`${name} is not installed: run scripts/ensure-tools.sh (npm start and npm test do)`);
  return fromPath;
}
