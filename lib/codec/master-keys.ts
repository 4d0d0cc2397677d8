import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// Data keys are stored wrapped by a master key that lives only in the
// deployment's settings (SCAIWAVE_CODEC_MASTER_KEYS): a dump of MariaDB alone
// opens nothing. The list is newest first; new data keys are wrapped by the
// first, and a key wrapped by an older one stays readable while that one is
// listed. AES-256-GCM throughout, with the data key's id as associated data so
// a wrapped key cannot be moved to another row.

const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export interface MasterKey {
  id: string;
  key: Buffer;
}

/** `id:base64,id:base64` (newest first) into keys; throws naming what is wrong. */
export function parseMasterKeys(text: string): MasterKey[] {
  const keys = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const colon = entry.indexOf(':');
      const id = colon > 0 ? entry.slice(0, colon) : '';
      const key = Buffer.from(entry.slice(colon + 1), 'base64');
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new Error('each entry must be id:base64 with an id of letters, digits, . _ or -');
      if (key.length !== KEY_BYTES) throw new Error(`the key of ${id} must be ${KEY_BYTES} bytes in base64`);
      return { id, key };
    });
  if (keys.length === 0) throw new Error('must name at least one key');
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new Error('key ids must differ');
  return keys;
}

/** AES-256-GCM: iv ‖ ciphertext ‖ tag. */
export function seal(key: Buffer, plain: Uint8Array, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/** Opens what seal() made; throws when the key, the associated data or a byte is wrong. */
export function open(key: Buffer, sealed: Uint8Array, aad: Buffer): Buffer {
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (buf.length < IV_BYTES + TAG_BYTES) throw new Error('sealed data is too short');
  const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, IV_BYTES));
  decipher.setAAD(aad);
  decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
  return Buffer.concat([decipher.update(buf.subarray(IV_BYTES, buf.length - TAG_BYTES)), decipher.final()]);
}

export const wrapAad = (dataKeyId: string): Buffer => Buffer.from(`scaiwave-payload-key:${dataKeyId}`);

export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}
