import type { Readable } from 'node:stream';
import { BundleContentError, readBundle, type BundleProblem } from './bundle-reader.js';
import { BUNDLE_PATHS, warningsFile, type BundleFile, type Manifest } from './format.js';
import { BundleContentCheck, type Problem } from './import-checks.js';
import { keysToCheck, refusalOf, type ImportWaivers, type Refusal } from './import-trust.js';
import { gunzipped, isMessageChunk, LineTooLongError, textLines } from './json-lines.js';

// An import's first step: one pass over the bundle that checks its integrity
// (domains/export/bundle-reader.ts: manifest hash, signature, every file's size and
// sha256, a plain ustar layout) and, as each file streams past, its content
// (domains/export/import-checks.ts). Integrity problems come first: while the
// bundle is not the one its manifest describes, what its files say is not
// worth reporting.

export interface Verdict {
  /** null when manifest.json could not be read */
  manifest: Manifest | null;
  signed: boolean;
  /** why the bundle is not taken at all (its head: signature, tenant), in our words; null when it may be */
  refusal: Pick<Refusal, 'code' | 'message'> | null;
  problems: Problem[];
}

interface ImportCheck {
  /** the tenant imported into */
  tenantId: string;
  /** trustedImportKeys() */
  trusted: readonly Buffer[];
  waivers: ImportWaivers;
}

/** The reader's messages open with the file's name; an import's problem names it apart. */
export const importProblem = (p: BundleProblem): Problem => ({
  file: p.path ?? '(archive)',
  problem: p.path && p.message.startsWith(`${p.path}: `) ? p.message.slice(p.path.length + 2) : p.message,
});

/**
 * Why a file that hashed right could not be read, in our words: the parser's
 * or zlib's message is for us (the worker's log), not for the sender.
 */
function unreadable(path: string, err: unknown): string {
  if (err instanceof SyntaxError) return 'unreadable: not valid JSON';
  if (err instanceof LineTooLongError) return `unreadable: ${err.message}`;
  if (isMessageChunk(path) && (err as NodeJS.ErrnoException).code?.startsWith('Z_')) return 'unreadable: not gzip data, or damaged gzip data';
  return 'unreadable: not the text this file holds in a room bundle';
}

async function readText(content: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of content) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

async function checkFile(check: BundleContentCheck, file: BundleFile, content: Readable): Promise<void> {
  try {
    if (file.path === BUNDLE_PATHS.room) {
      check.roomJson(await readText(content));
    } else if (isMessageChunk(file.path)) {
      let line = 0;
      for await (const text of textLines(gunzipped(content))) check.messageLine(file.path, ++line, text);
    } else if (file.path === BUNDLE_PATHS.media) {
      let line = 0;
      for await (const text of textLines(content)) check.mediaLine(++line, text);
    } else if (file.path === BUNDLE_PATHS.warnings) {
      if (!warningsFile.safeParse(JSON.parse(await readText(content))).success) check.report(file.path, 'not a list of warnings');
    }
  } catch (err) {
    // The bytes were not the manifest's: the reader reports that itself.
    if (err instanceof BundleContentError) throw err;
    check.report(file.path, unreadable(file.path, err));
  }
}

/** Reads the whole bundle once, judging its head as the upload did (domains/export/import-trust.ts) and then every file. */
export async function verifyForImport(input: Readable, terms: ImportCheck): Promise<Verdict> {
  let check: BundleContentCheck | null = null;
  const report = await readBundle(input, {
    trusted: keysToCheck(terms.trusted, terms.waivers),
    onManifest: (manifest) => {
      check = new BundleContentCheck(manifest);
    },
    onFile: (file, content) => checkFile(check!, file, content),
  });
  const signed = report.signer !== null;
  const refusal = refusalOf(report, terms.tenantId, terms.trusted, terms.waivers);
  if (refusal) return { manifest: report.manifest, signed, refusal: { code: refusal.code, message: refusal.message }, problems: refusal.problems.map(importProblem) };
  const verdict = { manifest: report.manifest, signed, refusal: null };
  if (report.problems.length > 0) return { ...verdict, problems: report.problems.map(importProblem) };
  const checked = check as BundleContentCheck | null;
  if (!checked) return { ...verdict, problems: [{ file: BUNDLE_PATHS.manifest, problem: 'the bundle could not be read' }] };
  return { ...verdict, problems: checked.finish() };
}
