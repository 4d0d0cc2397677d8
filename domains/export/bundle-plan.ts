import { BUNDLE_PATHS, type BundleFile, type BundleSignature, type Manifest } from './format.js';
import { manifestBytes, signatureBytes } from './manifest.js';
import { layOut, type TarEntry, type TarLayout } from './tar.js';

// The whole bundle as a tar layout: manifest.json and manifest.sig held in
// memory, every other file by reference to where its bytes are (`S`: an S3 object
// for the export, a buffer for a test). The manifest must list exactly those
// files in that order; laying out anything else would write a bundle that fails
// its own verification.

export type BundleEntry<S> = TarEntry & ({ content: Buffer } | { source: S });

export function planBundle<S>(
  manifest: Manifest,
  signature: BundleSignature | null,
  files: readonly (BundleFile & { source: S })[],
): TarLayout<BundleEntry<S>> {
  const listed = manifest.files;
  if (listed.length !== files.length || listed.some((f, i) => f.path !== files[i]!.path || f.bytes !== files[i]!.bytes || f.sha256 !== files[i]!.sha256)) {
    throw new Error(`export ${manifest.exportId}: the manifest does not list the files being bundled`);
  }
  const mtime = Math.floor(Date.parse(manifest.createdAt) / 1000);
  const inMemory = (path: string, content: Buffer): BundleEntry<S> => ({ path, bytes: content.length, mtime, content });
  return layOut<BundleEntry<S>>([
    inMemory(BUNDLE_PATHS.manifest, manifestBytes(manifest)),
    ...(signature ? [inMemory(BUNDLE_PATHS.signature, signatureBytes(signature))] : []),
    ...files.map((f) => ({ path: f.path, bytes: f.bytes, mtime, source: f.source })),
  ]);
}
