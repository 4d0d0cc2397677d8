import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { apiKeyPrefix, looksLikeApiKey } from './api-keys.js';

// Failed authentications are counted per credential as well as per client
// address (lib/http/auth-failures.ts), before anything is verified: the
// name is what the presentation claims to be, an API key's prefix or a token's
// `sub` read without checking its signature. Guessing one credential means
// presenting its name again and again, so the name is what its failures are
// counted under; forging a name only counts failures against that name. It
// goes into Redis key names hashed, so they hold nothing of a key or a token.

const NAME_HASH_CHARS = 32;

const digest = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, NAME_HASH_CHARS);

/** The claimed subject of a compact JWT, unverified; null when there is none to read. */
function claimedSubject(token: string): string | null {
  try {
    const { sub } = decodeJwt(token);
    return typeof sub === 'string' && sub !== '' ? sub : null;
  } catch {
    return null;
  }
}

/** `key:<hash of its prefix>` for an API key, `sub:<hash of the claimed subject>` for a token; null when the token names nobody. */
export function credentialName(token: string): string | null {
  if (looksLikeApiKey(token)) return `key:${digest(apiKeyPrefix(token))}`;
  const sub = claimedSubject(token);
  return sub === null ? null : `sub:${digest(sub)}`;
}
