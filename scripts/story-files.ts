import fs from 'node:fs';
import path from 'node:path';

// `npx tsx scripts/story-files.ts ENTRY.ts…`: the files a reader opens to follow
// one story, read as every production file reachable by relative imports from
// the story's entry files (its route, workflow and activities), counted by
// folder. docs/architecture.md gives the figures for a job id and a room id.

const importPattern = /(?:from|import)\s*\(?\s*'(\.[^']+)'/g;

function reachable(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...entries];
  while (stack.length > 0) {
    const file = path.normalize(stack.pop()!);
    if (seen.has(file) || !fs.existsSync(file)) continue;
    seen.add(file);
    for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(importPattern)) {
      const target = path.join(path.dirname(file), spec!).replace(/\.js$/, '.ts');
      if (!target.includes(`${path.sep}generated${path.sep}`)) stack.push(target);
    }
  }
  return seen;
}

/** `domains/wave`, `lib/http`: a domain or a ground-floor folder; the top folder otherwise. */
const folderOf = (file: string): string => {
  const parts = file.split(path.sep);
  return (parts[0] === 'domains' || parts[0] === 'lib') && parts.length > 2 ? parts.slice(0, 2).join('/') : parts[0]!;
};

const files = [...reachable(process.argv.slice(2))];
const byFolder = new Map<string, { files: number; lines: number }>();
for (const file of files) {
  const entry = byFolder.get(folderOf(file)) ?? { files: 0, lines: 0 };
  entry.files += 1;
  entry.lines += fs.readFileSync(file, 'utf8').split('\n').length - 1;
  byFolder.set(folderOf(file), entry);
}
const total = [...byFolder.values()].reduce((t, e) => ({ files: t.files + e.files, lines: t.lines + e.lines }), { files: 0, lines: 0 });
console.log(`${total.files} files, ${total.lines} lines`);
for (const [folder, e] of [...byFolder].sort(([a], [b]) => a.localeCompare(b))) console.log(`  ${folder.padEnd(20)} ${String(e.files).padStart(3)} files ${String(e.lines).padStart(6)} lines`);
