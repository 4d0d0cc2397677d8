import type { Readable } from 'node:stream';
import { BundleContentError, readBundle } from './bundle-reader.js';
import { BUNDLE_PATHS, warningsFile, type BundleFile, type Manifest } from './format.js';
import { BundleContentCheck, type Problem } from './import-checks.js';
import { gunzipped, isMessageChunk, textLines } from './json-lines.js';

// An import's first step: one pass over the bundle that checks its integrity
// (lib/export/bundle-reader.ts: manifest hash, signature, every file's size and
// sha256, a plain ustar layout) and, as each file streams past, its content
// (lib/export/import-checks.ts). Integrity problems come first: while the
// bundle is not the one its manifest describes, what its files say is not
// worth reporting.

export interface Verdict {
  /** null when manifest.json could not be read */
  manifest: Manifest | null;
  signed: boolean;
  problems: Problem[];
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

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
    check.report(file.path, `unreadable: ${describe(err)}`);
  }
}

/** Reads the whole bundle once; `publicKey` (base64 SPKI DER or PEM), when given, is the key it must be signed with. */
export async function verifyForImport(input: Readable, opts: { publicKey?: string } = {}): Promise<Verdict> {
  let check: BundleContentCheck | null = null;
  const report = await readBundle(input, {
    publicKey: opts.publicKey,
    onManifest: (manifest) => {
      check = new BundleContentCheck(manifest);
    },
    onFile: (file, content) => checkFile(check!, file, content),
  });
  const signed = report.signer !== null;
  if (report.problems.length > 0) {
    // The reader's messages open with the file's name; a problem here names it apart.
    const problems = report.problems.map((p) => ({ file: p.path ?? '(archive)', problem: p.path && p.message.startsWith(`${p.path}: `) ? p.message.slice(p.path.length + 2) : p.message }));
    return { manifest: report.manifest, signed, problems };
  }
  const checked = check as BundleContentCheck | null;
  if (!checked) return { manifest: report.manifest, signed, problems: [{ file: BUNDLE_PATHS.manifest, problem: 'the bundle could not be read' }] };
  return { manifest: report.manifest, signed, problems: checked.finish() };
}
