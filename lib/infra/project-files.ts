import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Files read at run time — migrations, gRPC contracts, package.json — stay at the
// project root, which is one level further up when this code runs compiled from
// dist/. The root is the nearest folder above this module that holds package.json.

function findProjectRoot(): string {
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

export const projectRoot = findProjectRoot();

/** A path under the project root, the same from sources and from dist/. */
export const projectFile = (...parts: string[]): string => path.join(projectRoot, ...parts);
