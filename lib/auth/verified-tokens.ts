import { createHash } from 'node:crypto';
import type { VerifiedClaims } from './verified-claims.js';

/** What a token was verified against: a hit counts only while both are still the verifier's current ones. */
interface VerifiedUnder {
  issuer: string;
  keySet: object;
}

interface Entry extends VerifiedUnder {
  claims: VerifiedClaims;
  /** the `kid` of the key that signed it; null when the token named none */
  kid: string | null;
}

/**
 * Tokens whose signature, issuer and audience were checked, kept by their
 * sha256 (never the token itself) until their `exp`, so a client polling with
 * one token pays one signature check, not one per request. A token's claims
 * cannot change; whether its user, key or tenant may still act is the
 * credential cache's business (lib/auth/credential-cache.ts), asked on every
 * request after this. What can change is the IdP's key set: `retainKeys`
 * drops the tokens of every key a fresh key set no longer carries.
 * Least recently used go first once `maxEntries` are held.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  static hashOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  get size(): number {
    return this.entries.size;
  }

  get(hash: string, under: VerifiedUnder): VerifiedClaims | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    this.entries.delete(hash);
    if (entry.claims.exp * 1000 <= this.now() || entry.issuer !== under.issuer || entry.keySet !== under.keySet) {
      return undefined;
    }
    // Maps iterate in insertion order: re-inserting makes this the most recently used.
    this.entries.set(hash, entry);
    return entry.claims;
  }

  set(hash: string, claims: VerifiedClaims, kid: string | null, under: VerifiedUnder): void {
    if (this.maxEntries <= 0 || claims.exp * 1000 <= this.now()) return;
    this.entries.delete(hash);
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(hash, { claims, kid, issuer: under.issuer, keySet: under.keySet });
  }

  /**
   * Keeps the tokens signed by a key in `kids` (the key set just fetched). A
   * token that named no key was matched by algorithm against the old set, so
   * it goes too and is checked again against the new one.
   */
  retainKeys(kids: ReadonlySet<string>): void {
    for (const [hash, entry] of this.entries) {
      if (entry.kid === null || !kids.has(entry.kid)) this.entries.delete(hash);
    }
  }
}
