import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import tar, { type ExtractEvents } from 'tar-stream';
import { BUNDLE_PATHS, manifestSchema, signatureSchema, type BundleFile, type Manifest } from './format.js';
import { manifestHashMismatch, signatureHolds } from './manifest.js';
import { describeIssues } from './problem-words.js';
import { keyFingerprint } from '../../lib/ed25519-keys.js';

// Reads a room bundle in one pass over a stream (a local file, an S3 GetObject
// body), holding only manifest.json, manifest.sig and one chunk of a file in
// memory at a time. The verifier and the import share it: both get every
// problem named by file; the import also gets each file's bytes as they stream
// past (onFile), hashed on the way, so restoring and checking are one read.
//
// The order is the format's (domains/export/format.ts): manifest.json first, so every
// expected hash is known before its file arrives; then manifest.sig if signed;
// then exactly the manifest's files in the manifest's order. Anything a plain
// ustar writer would not produce is refused rather than interpreted: links,
// directories, and pax or GNU headers (they can rename or resize the entry that
// follows, so a tool that ignores them would see another archive than we check).

type ProblemCode =
  | 'not_a_tar'
  | 'truncated'
  | 'not_regular'
  | 'manifest_missing'
  | 'manifest_invalid'
  | 'manifest_hash'
  | 'signature_invalid'
  | 'signature_missing'
  | 'signature_key'
  | 'size_mismatch'
  | 'hash_mismatch'
  | 'missing'
  | 'unlisted'
  | 'duplicate'
  | 'out_of_order'
  /** the bundle's tenant is not the importer's (domains/export/import-trust.ts) */
  | 'other_tenant';

export interface BundleProblem {
  code: ProblemCode;
  /** the file the problem is about; null when it is the archive as a whole */
  path: string | null;
  message: string;
}

/** One listed file as it was found in the archive. */
export interface CheckedFile {
  path: string;
  bytes: number;
  sha256: string;
  ok: boolean;
}

/** Who signed, when manifest.sig holds. */
export interface Signer {
  /** base64 SPKI DER, as in manifest.sig */
  publicKey: string;
  fingerprint: string;
}

interface ReadBundleOptions {
  /** The keys (SPKI DER) one of which must have signed the bundle: unsigned, or signed by another key, is a problem. */
  trusted?: readonly Buffer[];
  /** Stop once manifest.json and manifest.sig are judged: the files are neither read nor checked (domains/export/bundle-head.ts). */
  headOnly?: boolean;
  /** Once manifest.json (and manifest.sig) hold, before any file; not called when they do not. */
  onManifest?: (manifest: Manifest, signer: Signer | null) => Promise<void> | void;
  /**
   * Each listed file's bytes while the bundle has held so far (no file is handed on
   * after a problem). Read `content` or not — whatever is left is drained and hashed
   * after the promise settles. `content` fails at its end with a BundleContentError
   * when the bytes are not the manifest's, so a consumer that reads it whole never
   * takes bad content for good.
   */
  onFile?: (file: BundleFile, content: Readable) => Promise<void>;
  /** After each listed file has been hashed, good or not. */
  onChecked?: (file: CheckedFile) => void;
}

export interface BundleReport {
  /** null when manifest.json is missing or unreadable: nothing else could be checked */
  manifest: Manifest | null;
  signer: Signer | null;
  problems: BundleProblem[];
}

export class BundleContentError extends Error {
  constructor(readonly problem: BundleProblem) {
    super(problem.message);
    this.name = 'BundleContentError';
  }
}

/** one archive entry: its header, its byte offset in the archive, and a stream of its data */
type Entry = ExtractEvents['entry'][1];

const BLOCK = 512;
/** Far above any real manifest (about 150 bytes a file), far below a memory problem. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
const MAX_SIGNATURE_BYTES = 64 * 1024;

/** An error of the caller's own callbacks: passed through as it is, never taken for a bundle problem. */
class CallerError extends Error {
  constructor(readonly original: unknown) {
    super('callback failed');
  }
}

export async function readBundle(input: Readable, opts: ReadBundleOptions = {}): Promise<BundleReport> {
  const reading = new BundleReading(opts, opts.trusted ?? null);
  const extract = tar.extract();
  let inputError: unknown = null;
  input.once('error', (err) => {
    inputError = err;
    extract.destroy(err);
  });
  input.pipe(extract);
  try {
    try {
      for await (const entry of extract) {
        if (!(await reading.take(entry))) break;
      }
    } catch (err) {
      if (inputError) throw inputError;
      if (err instanceof CallerError) throw err;
      reading.broken(err);
    } finally {
      input.unpipe(extract);
      input.destroy();
      extract.destroy();
    }
    return await reading.finish();
  } catch (err) {
    throw err instanceof CallerError ? err.original : err;
  }
}

type Stage = 'manifest' | 'signature' | 'files' | 'stopped';

class BundleReading {
  private stage: Stage = 'manifest';
  private manifest: Manifest | null = null;
  private signer: Signer | null = null;
  private readonly problems: BundleProblem[] = [];
  private position = new Map<string, number>();
  private seen: boolean[] = [];
  /** the manifest position of the latest-listed file read so far */
  private furthest = -1;
  /** where the next header must start: any other offset means extended headers came between */
  private nextHeader = 0;
  private current: string | null = null;

  constructor(
    private readonly opts: ReadBundleOptions,
    private readonly trusted: readonly Buffer[] | null,
  ) {}

  /** Checks one archive entry; false when nothing after it can be checked. */
  async take(entry: Entry): Promise<boolean> {
    const { header } = entry;
    const path = header.name;
    const { size } = header;
    const { offset } = entry;
    const extended = offset !== this.nextHeader || header.pax != null;
    this.nextHeader = offset + BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    this.current = path;
    if (header.type !== 'file' || extended) {
      this.problem('not_regular', path, `${path}: a ${extended ? 'pax or GNU extended header' : `${header.type} entry`}, which a bundle never holds`);
      await drain(entry);
      return this.stage !== 'manifest';
    }
    switch (this.stage) {
      case 'manifest':
        return this.takeManifest(entry, path, size);
      case 'signature':
        if (path === BUNDLE_PATHS.signature) return this.takeSignature(entry, size);
        await this.signatureChecked();
        if (this.stopped()) return false;
        return this.takeFile(entry, path, size);
      default:
        return this.takeFile(entry, path, size);
    }
  }

  /**
   * The archive could not be read further. The tar library's own message is
   * only told apart here, never passed on: a caller reads what is wrong with
   * the bundle in our words, whichever library reads it.
   */
  broken(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (/unexpected end/i.test(message)) {
      const where = this.current ? ` (the last entry begun: ${this.current})` : '';
      this.problem('truncated', null, `the archive ends early${where}: truncated`);
    } else {
      const where = this.current ? `after ${this.current}` : 'at the start';
      const hint = this.current ? '' : ' (a room bundle is the .tar itself, not compressed)';
      this.problem('not_a_tar', null, `not a tar archive: the block ${where} is not a tar header${hint}`);
    }
  }

  async finish(): Promise<BundleReport> {
    if (this.stage === 'manifest' && this.problems.length === 0) {
      this.problem('manifest_missing', BUNDLE_PATHS.manifest, 'the archive is empty: no manifest.json');
    }
    if (this.stage === 'signature') await this.signatureChecked();
    if (this.manifest && this.stage !== 'stopped' && !this.opts.headOnly) {
      this.manifest.files.forEach((f, i) => {
        if (!this.seen[i]) this.problem('missing', f.path, `${f.path}: listed in the manifest, missing from the archive`);
      });
    }
    return { manifest: this.manifest, signer: this.signer, problems: this.problems };
  }

  private async takeManifest(entry: Entry, path: string, size: number): Promise<boolean> {
    this.stage = 'stopped';
    if (path !== BUNDLE_PATHS.manifest) {
      this.problem('manifest_missing', BUNDLE_PATHS.manifest, `the archive starts with ${path}, not manifest.json: not a room bundle`);
      return false;
    }
    const text = await readSmall(entry, size, MAX_MANIFEST_BYTES);
    if (text === null) return this.problem('manifest_invalid', path, `manifest.json: ${size} bytes, more than a manifest can be`);
    let parsed;
    try {
      parsed = manifestSchema.safeParse(JSON.parse(text));
    } catch {
      return this.problem('manifest_invalid', path, 'manifest.json: not valid JSON');
    }
    if (!parsed.success) return this.problem('manifest_invalid', path, `manifest.json: ${describeIssues(parsed.error.issues)}`);
    const manifest = parsed.data;
    for (const [i, f] of manifest.files.entries()) {
      if (f.path === BUNDLE_PATHS.manifest || f.path === BUNDLE_PATHS.signature || this.position.has(f.path)) {
        return this.problem('manifest_invalid', path, `manifest.json: lists ${f.path} twice or as a file of its own`);
      }
      this.position.set(f.path, i);
    }
    const expected = manifestHashMismatch(manifest);
    if (expected) {
      this.problem('manifest_hash', path, `manifest.json: manifestSha256 is ${manifest.manifestSha256}, its canonical form hashes to ${expected}: changed after sealing`);
    }
    this.manifest = manifest;
    this.seen = manifest.files.map(() => false);
    this.stage = 'signature';
    return true;
  }

  private async takeSignature(entry: Entry, size: number): Promise<boolean> {
    const path = BUNDLE_PATHS.signature;
    this.stage = 'files';
    const text = await readSmall(entry, size, MAX_SIGNATURE_BYTES);
    let parsed;
    try {
      parsed = text === null ? null : signatureSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = null;
    }
    if (!parsed?.success) {
      this.problem('signature_invalid', path, 'manifest.sig: not a signature record');
    } else if (!signatureHolds(this.manifest!, parsed.data)) {
      this.problem('signature_invalid', path, "manifest.sig: the signature does not hold for this manifest and the key it names");
    } else {
      const der = Buffer.from(parsed.data.publicKey, 'base64');
      this.signer = { publicKey: parsed.data.publicKey, fingerprint: keyFingerprint(der) };
      if (this.trusted && !this.trusted.some((k) => k.equals(der))) {
        this.problem('signature_key', path, `manifest.sig: signed by key ${this.signer.fingerprint}, not ${this.trustedKeys()}`);
      }
    }
    await this.signatureChecked();
    return !this.stopped();
  }

  /** A method, not a comparison in place: the stage moves inside the awaits before it. */
  private stopped(): boolean {
    return this.stage === 'stopped';
  }

  private trustedKeys(): string {
    const prints = (this.trusted ?? []).map(keyFingerprint);
    if (prints.length === 0) return 'a trusted key (none is configured)';
    return prints.length === 1 ? `the expected key ${prints[0]}` : `one of the trusted keys ${prints.join(', ')}`;
  }

  /** The manifest and its signature are settled: no file changes what they say. */
  private async signatureChecked(): Promise<void> {
    this.stage = this.opts.headOnly ? 'stopped' : 'files';
    if (this.trusted && !this.signer && !this.problems.some((p) => p.path === BUNDLE_PATHS.signature)) {
      this.problem('signature_missing', BUNDLE_PATHS.signature, `manifest.sig: missing; the bundle must be signed by ${this.trustedKeys()}`);
    }
    if (this.problems.length === 0 && this.opts.onManifest) {
      await callback(() => this.opts.onManifest!(this.manifest!, this.signer));
    }
  }

  private async takeFile(entry: Entry, path: string, size: number): Promise<boolean> {
    const manifest = this.manifest!;
    const i = this.position.get(path);
    if (i === undefined) {
      this.problem('unlisted', path, `${path}: in the archive but not listed in the manifest`);
      await drain(entry);
      return true;
    }
    if (this.seen[i]) {
      this.problem('duplicate', path, `${path}: in the archive twice`);
      await drain(entry);
      return true;
    }
    if (i < this.furthest) {
      this.problem('out_of_order', path, `${path}: comes after ${manifest.files[this.furthest]!.path}, which the manifest lists later`);
    }
    const file = manifest.files[i]!;
    const tap = new HashingTap(entry, file);
    if (this.opts.onFile && this.problems.length === 0 && size === file.bytes) {
      await this.consume(file, tap);
    }
    await tap.drain();
    // Only now: a file the archive ends inside of counts as missing.
    this.seen[i] = true;
    this.furthest = Math.max(this.furthest, i);
    const problem = tap.verdict();
    if (problem) this.problems.push(problem);
    this.opts.onChecked?.({ path, bytes: tap.bytes, sha256: tap.sha256(), ok: problem === null });
    return true;
  }

  /** Hands the file to onFile; its failure counts as the bundle's when the bytes were bad, else as the caller's. */
  private async consume(file: BundleFile, tap: HashingTap): Promise<void> {
    try {
      await this.opts.onFile!(file, Readable.from(tap.checkedChunks(), { objectMode: false }));
    } catch (err) {
      await tap.drain();
      if (!tap.verdict()) throw new CallerError(err);
    }
  }

  private problem(code: ProblemCode, path: string | null, message: string): false {
    this.problems.push({ code, path, message });
    return false;
  }
}

/**
 * One entry's bytes, hashed as they are pulled, by the consumer or by drain(),
 * whichever comes first: pulls are serialised so the two never race for a chunk.
 */
class HashingTap {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly chunks: AsyncIterator<Buffer>;
  private ended = false;
  private digest: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    entry: Entry,
    private readonly file: BundleFile,
  ) {
    this.chunks = entry[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  pull(): Promise<Buffer | null> {
    const next = this.queue.then(() => this.step());
    this.queue = next.catch(() => {});
    return next;
  }

  async *checkedChunks(): AsyncGenerator<Buffer> {
    for (let chunk = await this.pull(); chunk !== null; chunk = await this.pull()) yield chunk;
    const problem = this.verdict();
    if (problem) throw new BundleContentError(problem);
  }

  async drain(): Promise<void> {
    while ((await this.pull()) !== null);
  }

  sha256(): string {
    this.digest ??= this.hash.digest('hex');
    return this.digest;
  }

  /** null when the bytes are the manifest's; call after the entry has ended. */
  verdict(): BundleProblem | null {
    const { path, bytes, sha256 } = this.file;
    if (this.bytes !== bytes) {
      return { code: 'size_mismatch', path, message: `${path}: ${this.bytes} bytes in the archive, ${bytes} in the manifest` };
    }
    const actual = this.sha256();
    return actual === sha256 ? null : { code: 'hash_mismatch', path, message: `${path}: sha256 ${actual}, the manifest says ${sha256}` };
  }

  private async step(): Promise<Buffer | null> {
    if (this.ended) return null;
    const { value, done } = await this.chunks.next();
    if (done) {
      this.ended = true;
      return null;
    }
    this.hash.update(value);
    this.bytes += value.length;
    return value;
  }
}

async function drain(entry: Entry): Promise<void> {
  for await (const _chunk of entry);
}

/** The entry as UTF-8 text, or null (and drained) when it is larger than `max`. */
async function readSmall(entry: Entry, size: number, max: number): Promise<string | null> {
  if (size > max) {
    await drain(entry);
    return null;
  }
  const parts: Buffer[] = [];
  for await (const chunk of entry) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

async function callback(fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
  } catch (err) {
    throw new CallerError(err);
  }
}

