import type { Db } from '../infra/db.js';
import type { Logger } from '../infra/logger.js';

/** A key's last_used_at says "used within this minute", no finer. */
const LAST_USED_RESOLUTION_MS = 60_000;
// Keys remembered as stamped; beyond it the memory starts over (a few more writes, never wrong ones).
const MAX_REMEMBERED = 10_000;

/**
 * API keys' last_used_at, kept off the request path. A request only notes the
 * key in memory; every `flushMs` one statement stamps all keys noted since,
 * each at most once per LAST_USED_RESOLUTION_MS per process, and the statement's
 * condition keeps other processes from restamping a key within that minute too.
 * A process that dies loses at most one flush interval of stamps.
 */
export class LastUsedStamps {
  private pending = new Set<string>();
  private readonly stamped = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    flushMs: number,
  ) {
    this.timer = setInterval(() => void this.flush(), flushMs);
    this.timer.unref();
  }

  /** Notes a use; `storedLastUsedAt` is what the key's row said, when the use read it (null from the credential cache). */
  seen(apiKeyId: string, storedLastUsedAt: Date | null, now = Date.now()): void {
    const known = this.stamped.get(apiKeyId) ?? 0;
    const last = Math.max(known, storedLastUsedAt?.getTime() ?? 0);
    if (last > now - LAST_USED_RESOLUTION_MS) {
      // Stamped within the minute, here or (as the row says) elsewhere: only remembered.
      if (last !== known) this.remember(apiKeyId, last);
      return;
    }
    this.remember(apiKeyId, now);
    this.pending.add(apiKeyId);
  }

  /** Writes what was noted so far; flushes run one after another. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private remember(apiKeyId: string, at: number): void {
    if (!this.stamped.has(apiKeyId) && this.stamped.size >= MAX_REMEMBERED) this.stamped.clear();
    this.stamped.set(apiKeyId, at);
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending = new Set();
    const now = new Date();
    try {
      await this.db.apiKey.updateMany({
        where: {
          id: { in: ids },
          OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - LAST_USED_RESOLUTION_MS) } }],
        },
        data: { lastUsedAt: now },
      });
    } catch (err) {
      this.logger.warn({ err, keys: ids.length }, 'could not record API key use');
    }
  }
}
