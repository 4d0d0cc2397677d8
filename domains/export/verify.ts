import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { readBundle, type BundleProblem, type CheckedFile, type Signer } from './bundle-reader.js';
import type { Manifest } from './format.js';
import { publicKeyDer } from '../../lib/ed25519-keys.js';

// `scaiwave export verify` and the export's own check after download: every
// checksum and the signature, offline, in one pass. No database, no Temporal:
// a recipient runs it on a file we sent them.

export interface Verification {
  ok: boolean;
  /** null when manifest.json was missing or unreadable */
  manifest: Manifest | null;
  /** the key manifest.sig was made with, when the signature holds; null when unsigned or bad */
  signer: Signer | null;
  files: CheckedFile[];
  /** bytes of the listed files found in the archive */
  bytes: number;
  problems: BundleProblem[];
}

interface VerifyOptions {
  /** the exporter's public key (base64 SPKI DER or PEM) the bundle must be signed with */
  publicKey?: string;
  /** each file as soon as it has been hashed: progress for a large bundle */
  onChecked?: (file: CheckedFile) => void;
}

export async function verifyBundle(input: Readable, opts: VerifyOptions = {}): Promise<Verification> {
  const files: CheckedFile[] = [];
  const report = await readBundle(input, {
    trusted: opts.publicKey === undefined ? undefined : [publicKeyDer(opts.publicKey)],
    onChecked: (file) => {
      files.push(file);
      opts.onChecked?.(file);
    },
  });
  return {
    ok: report.problems.length === 0,
    manifest: report.manifest,
    signer: report.signer,
    files,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    problems: report.problems,
  };
}

/** A bundle on disk; a missing or unreadable file throws (ENOENT, EACCES), it is not a bundle problem. */
export async function verifyBundleFile(path: string, opts: VerifyOptions = {}): Promise<Verification> {
  const handle = await open(path, 'r');
  return verifyBundle(handle.createReadStream(), opts);
}
