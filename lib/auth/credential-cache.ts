import type { Caller } from './caller-identity.js';

/** What changed, as every writer announces it and every cache drops it (lib/auth/credential-changes.ts). */
export type CredentialChange =
  | { kind: 'api_key'; tenantId: string; apiKeyId: string }
  | { kind: 'user'; tenantId: string; userId: string }
  | { kind: 'tenant'; tenantId: string };

export interface CachedCredential {
  caller: Caller;
  /** an API key's own expiry, checked on every hit */
  expiresAt?: Date | null;
  /** a ScaiKey user's profile as stored, compared with each token's claims (lib/auth/caller.ts) */
  profile?: { email: string | null; displayName: string | null };
}

interface Entry extends CachedCredential {
  storedAt: number;
}

interface CredentialCacheOptions {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

/**
 * Resolved credentials of one API process, keyed by the API key's sha256 or by
 * tenant and subject of a verified token, never by a secret. Serves nothing
 * until `listening(true)`: only while the process hears every credential change
 * may it answer from memory (see lib/auth/credential-changes.ts).
 *
 * `generation` moves on every drop and every change of listening. A lookup reads
 * it before asking MariaDB and hands it to `set`, which stores nothing if it
 * moved meanwhile: a row read before a revocation committed cannot be stored
 * after the revocation's message has been applied.
 */
export class CredentialCache {
  private readonly entries = new Map<string, Entry>();
  private live = false;
  private gen = 0;
  private readonly now: () => number;

  constructor(private readonly opts: CredentialCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  get generation(): number {
    return this.gen;
  }

  get size(): number {
    return this.entries.size;
  }

  get isListening(): boolean {
    return this.live;
  }

  get(key: string): CachedCredential | undefined {
    if (!this.live) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.storedAt >= this.opts.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, value: CachedCredential, generation: number): void {
    if (!this.live || generation !== this.gen) return;
    this.entries.delete(key);
    // Maps iterate in insertion order: the first key is the oldest entry.
    while (this.entries.size >= this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { ...value, storedAt: this.now() });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every entry the change may concern. */
  drop(change: CredentialChange): void {
    this.gen += 1;
    for (const [key, { caller }] of this.entries) {
      const hit =
        caller.tenantId === change.tenantId &&
        (change.kind === 'tenant' ||
          (change.kind === 'user' && caller.userId === change.userId) ||
          (change.kind === 'api_key' && caller.apiKeyId === change.apiKeyId));
      if (hit) this.entries.delete(key);
    }
  }

  /** Empties the cache; it serves again only once `live` is true (the subscription is confirmed). */
  listening(live: boolean): void {
    this.gen += 1;
    this.entries.clear();
    this.live = live;
  }
}
