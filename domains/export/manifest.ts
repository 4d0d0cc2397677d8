import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { BundleSignature, Manifest } from './format.js';

// A manifest is hashed and signed in its canonical form (RFC 8785): keys sorted,
// no whitespace, numbers and strings in one spelling. A recipient re-serialises
// the manifest.json it received the same way, so neither pretty-printing nor
// key order can make a good bundle fail or a changed one pass.

export type UnsealedManifest = Omit<Manifest, 'manifestSha256'>;

const canonical = (value: unknown): Buffer => Buffer.from(canonicalize(value) ?? '', 'utf8');
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** The manifest with the sha256 of its own canonical form (that field left out) filled in. */
export function sealManifest(m: UnsealedManifest): Manifest {
  return { ...m, manifestSha256: sha256(canonical(m)) };
}

/** null when the manifest's own hash is right; otherwise what it should have been. */
export function manifestHashMismatch(m: Manifest): string | null {
  const { manifestSha256, ...rest } = m;
  const actual = sha256(canonical(rest));
  return actual === manifestSha256 ? null : actual;
}

/** manifest.json as written into the bundle: readable, and hashed only in canonical form. */
export const manifestBytes = (m: Manifest): Buffer => Buffer.from(`${JSON.stringify(m, null, 2)}\n`, 'utf8');

export function signManifest(m: Manifest, key: KeyObject): BundleSignature {
  return {
    algorithm: 'Ed25519',
    publicKey: createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('base64'),
    signature: sign(null, canonical(m), key).toString('base64'),
  };
}

export const signatureBytes = (s: BundleSignature): Buffer => Buffer.from(`${JSON.stringify(s, null, 2)}\n`, 'utf8');

/** Whether the signature is the given public key's (base64 SPKI DER) over this manifest. */
export function signatureHolds(m: Manifest, s: BundleSignature): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(s.publicKey, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ed25519' && verify(null, canonical(m), key, Buffer.from(s.signature, 'base64'));
  } catch {
    return false;
  }
}
