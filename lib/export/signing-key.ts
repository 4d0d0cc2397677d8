import { createPrivateKey, type KeyObject } from 'node:crypto';

// The deployment's export signing key, as SCAIWAVE_EXPORT_SIGNING_KEY holds it:
// PKCS#8 PEM (what `openssl genpkey -algorithm ed25519` writes) or that key's DER
// in base64 (easier to pass in one environment variable).

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
