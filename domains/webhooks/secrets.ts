import { createHmac, randomBytes } from 'node:crypto';
import type { Config } from '../../lib/config.js';
import { open, parseMasterKeys, seal, type MasterKey } from '../../lib/codec/master-keys.js';

// An endpoint's signing secret, in the Standard Webhooks form `whsec_` + base64
// of 32 random bytes. At rest it is sealed (AES-256-GCM) under the
// deployment's newest master key, the one that wraps the payload codec's keys,
// with the endpoint's id as associated data: a dump of MariaDB alone signs
// nothing, and a sealed secret moved to another endpoint's row does not open.

const PREFIX = 'whsec_';
const SECRET_BYTES = 32;

export const newSecret = (): string => `${PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;

const aad = (endpointId: string): Buffer => Buffer.from(`scaiwave-webhook-secret:${endpointId}`);

function masters(config: Config): MasterKey[] {
  const text = config.env.SCAIWAVE_CODEC_MASTER_KEYS;
  if (!text) throw new Error('SCAIWAVE_CODEC_MASTER_KEYS is missing: webhook secrets are sealed with it');
  return parseMasterKeys(text);
}

/** `masterKeyId:base64(sealed)`. */
export function sealSecret(config: Config, endpointId: string, secret: string): string {
  const master = masters(config)[0]!;
  return `${master.id}:${seal(master.key, Buffer.from(secret), aad(endpointId)).toString('base64')}`;
}

export function openSecret(config: Config, endpointId: string, sealed: string): string {
  const colon = sealed.indexOf(':');
  const master = masters(config).find((m) => m.id === sealed.slice(0, colon));
  if (!master) throw new Error(`the secret of webhook endpoint ${endpointId} is sealed by a master key SCAIWAVE_CODEC_MASTER_KEYS no longer lists`);
  return open(master.key, Buffer.from(sealed.slice(colon + 1), 'base64'), aad(endpointId)).toString();
}

/** `v1,<base64 HMAC-SHA256(id.timestamp.body)>` under each secret, space-separated (Standard Webhooks). */
export function signatureHeader(secrets: string[], msgId: string, timestamp: number, body: string): string {
  return secrets
    .map((s) => {
      const key = Buffer.from(s.startsWith(PREFIX) ? s.slice(PREFIX.length) : s, 'base64');
      return `v1,${createHmac('sha256', key).update(`${msgId}.${timestamp}.${body}`).digest('base64')}`;
    })
    .join(' ');
}
