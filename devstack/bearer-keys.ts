import { createHash, timingSafeEqual } from 'node:crypto';

// API keys in `Authorization: Bearer <key>`, as the reference servers for
// systems with static keys (the STT relay, ScaiGrid) take them.

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Whether an Authorization header carries one of the keys. */
export function bearerKeyCheck(keys: readonly string[]): (authorization: string) => boolean {
  const known = keys.map(digest);
  return (authorization) => {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    // Hashing first gives equal lengths, so the comparison time says nothing about the keys.
    const given = m ? digest(m[1]!) : undefined;
    return given !== undefined && known.some((k) => timingSafeEqual(k, given));
  };
}
