#!/usr/bin/env node
// The `scaiwave` executable (package.json "bin"): the compiled CLI in dist/, so
// starting it loads no TypeScript compiler. Resolved next to this file, so it runs
// from any directory. Development runs the sources: `npm run scaiwave -- …`.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write('scaiwave: not built yet; run `npm run build` in the project folder (or `npm run scaiwave -- …` from sources)\n');
  process.exit(1);
}
await import(compiled.href);
