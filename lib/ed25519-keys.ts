import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

// Ed25519 keys as configuration and bundles carry them. The signing key, as
// SCAIWAVE_EXPORT_SIGNING_KEY holds it: PKCS#8 PEM (what `openssl genpkey -algorithm
// ed25519` writes) or that key's DER in base64 (easier to pass in one environment
// variable). A public key: the base64 DER SubjectPublicKeyInfo that manifest.sig
// carries, or the PEM that `openssl pkey -pubout` writes. Keys compare by their DER
// bytes; people compare them by fingerprint. Ground floor: config validates with it.

export function parseSigningKey(text: string): KeyObject {
  const key = text.includes('-----BEGIN')
    ? createPrivateKey(text)
    : createPrivateKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError(`an ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

export function isEd25519PrivateKey(text: string): boolean {
  try {
    parseSigningKey(text);
    return true;
  } catch {
    return false;
  }
}

/** The key's SPKI DER; throws when the text is neither form or not an Ed25519 key. */
export function publicKeyDer(text: string): Buffer {
  const trimmed = text.trim();
  const key = trimmed.includes('-----BEGIN')
    ? createPublicKey(trimmed)
    : createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError(`an ${key.asymmetricKeyType} key, not Ed25519`);
  return key.export({ format: 'der', type: 'spki' });
}

/** The first 16 hex digits of the sha256 of the SPKI DER: `openssl pkey -pubin -outform DER | sha256sum | cut -c1-16`. */
export const keyFingerprint = (spkiDer: Buffer): string => createHash('sha256').update(spkiDer).digest('hex').slice(0, 16);

/** Keys separated by commas (neither PEM nor base64 holds one), each as publicKeyDer reads it; throws on any that is not one. */
export const publicKeyList = (text: string): Buffer[] =>
  text
    .split(',')
    .filter((part) => part.trim() !== '')
    .map(publicKeyDer);
