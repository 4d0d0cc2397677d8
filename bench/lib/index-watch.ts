import { setTimeout as sleep } from 'node:timers/promises';
import * as lancedb from '@lancedb/lancedb';
import type { Table } from '@lancedb/lancedb';
import { tableName } from '../../lib/search-index/lance-table.js';

// When does a message become searchable? The embedded index answers searches
// from whatever version of the tenant's table is committed last, so a message
// is searchable from the commit that holds its row. This watcher opens the
// index directory as a reader of its own (as an API process does), asks the
// table's version every `pollMs` (a manifest check, tens of µs) and only on a
// new version reads the ids of rows created since the oldest message it still
// waits for: exact to a poll interval, and no load on search.

/** Epoch ms with sub-ms resolution, on the clock Date.now() reads. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

export class IndexWatch {
  /** id → when this process first saw it in the index (epochNow) */
  readonly seenAt = new Map<string, number>();
  /** id → its created_at (epoch ms): the lower bound of the next read */
  private readonly waiting = new Map<string, number>();
  private table: Table | undefined;
  private version = -1;
  private closed = false;
  private readonly loop: Promise<void>;
  /** reads made on a new version, and their time in all */
  reads = 0;
  readMs = 0;

  private constructor(
    private readonly db: lancedb.Connection,
    private readonly tenantId: string,
    private readonly pollMs: number,
  ) {
    this.loop = this.run();
  }

  static async open(dir: string, tenantId: string, pollMs: number): Promise<IndexWatch> {
    return new IndexWatch(await lancedb.connect(dir, { readConsistencyInterval: 0 }), tenantId, pollMs);
  }

  /** Watch for a posted message: its id and its created_at as the API answered it. */
  expect(messageId: string, createdAtMs: number): void {
    if (!this.seenAt.has(messageId)) this.waiting.set(messageId, createdAtMs);
  }

  /** Resolves true once every id is seen, false when `timeoutMs` passes first. */
  async until(ids: readonly string[], timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (ids.some((id) => !this.seenAt.has(id))) {
      if (performance.now() > deadline) return false;
      await sleep(this.pollMs);
    }
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.loop;
    this.table?.close();
    this.db.close();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (this.waiting.size > 0) await this.poll();
      await sleep(this.pollMs);
    }
  }

  private async poll(): Promise<void> {
    // The worker creates the table with its first batch.
    this.table ??= await this.db.openTable(tableName(this.tenantId)).catch(() => undefined);
    if (!this.table) return;
    const version = await this.table.version();
    if (version === this.version) return;
    // The rows of this version were searchable from now at the latest (the read below takes a few ms more).
    const at = epochNow();
    this.version = version;
    const since = Math.min(...this.waiting.values());
    const rows = (await this.table.query().where(`created_at >= ${since}`).select(['message_id']).toArray()) as { message_id: string }[];
    this.reads++;
    this.readMs += epochNow() - at;
    for (const { message_id: id } of rows) {
      if (!this.seenAt.has(id)) this.seenAt.set(id, at);
      this.waiting.delete(id);
    }
  }
}
