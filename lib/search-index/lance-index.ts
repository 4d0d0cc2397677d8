import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as lancedb from '@lancedb/lancedb';
import { MatchQuery, type Connection, type Table } from '@lancedb/lancedb';
import { MAX_SEARCH_DEPTH, type SearchDocument, type SearchIndex, type SearchPage, type SearchQuery } from './search-index.js';
import { checkDocuments, checkId, checkMessageIds, checkQuery } from './search-input.js';
import {
  FTS_INDEX,
  MIN_PROBES,
  ROOM_INDEX,
  VECTOR_INDEX,
  filterOf,
  ftsIndex,
  hasIndex,
  roomIndex,
  tableName,
  tableSchema,
  toRows,
  vectorIndex,
} from './lance-table.js';
import { removePhysically } from './lance-erasure.js';
import { queryTokens } from './highlight.js';
import { fuseByRank, stableOrder, type Candidate } from './ranking.js';
import { cursorOffset, pageOfHits } from './cursor.js';

// The embedded default: LanceDB files under a directory, no server. Several
// processes may open the same directory (API processes search, workers write):
// reads check for newer versions on every query, and writes are optimistic
// commits that LanceDB rebases on a conflict; a conflict it gives up on is
// retried here. Within one process, writes to one tenant go one at a time.

const COMMIT_ATTEMPTS = 8;
/** No cap on probing: a narrow room filter may need every partition to fill a page. */
const ALL_PARTITIONS = 1_000_000;

const COLUMNS = ['message_id', 'room_id', 'author_id', 'created_at', 'body'];

interface Row {
  message_id: string;
  room_id: string;
  author_id: string;
  created_at: bigint;
  body: string;
  _score?: number;
  _distance?: number;
}

const candidate = (r: Row, score: number): Candidate => ({
  messageId: r.message_id,
  roomId: r.room_id,
  authorId: r.author_id,
  createdAt: new Date(Number(r.created_at)),
  body: r.body,
  score,
});

const isConflict = (err: unknown) => err instanceof Error && /conflict|concurrent/i.test(err.message);
const isMissingTable = (err: unknown) => err instanceof Error && /Table '[^']*' was not found/.test(err.message);
/** A file of the version a handle read is gone: another process pruned it (remove) or dropped the table (purge). */
const isVanished = (err: unknown) => err instanceof Error && /not found/i.test(err.message);

/** Runs a write again when another writer committed first and LanceDB could not rebase onto it. */
async function retryingConflicts<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!isConflict(err) || attempt >= COMMIT_ATTEMPTS) throw err;
      await sleep(10 * 2 ** attempt * (0.5 + Math.random()));
    }
  }
}

/** Creates the index unless it exists, whichever process gets there first. */
async function createIndexOnce(table: Table, column: string, name: string, config: () => lancedb.Index): Promise<void> {
  if (await hasIndex(table, name)) return;
  await retryingConflicts(() => table.createIndex(column, { config: config(), name, replace: false })).catch(async (err: unknown) => {
    if (!(await hasIndex(table, name))) throw err;
  });
}

interface LanceIndexOptions {
  /** Directory of the tables; created when missing. */
  dir: string;
  dimension: number;
  /** Unindexed rows are searched by scanning; past this many, an upsert folds them into the indices. */
  foldIntoIndexAfter?: number;
  /** From this many rows a tenant's table gets a vector index; below, vectors are scanned (exact). */
  vectorIndexFromRows?: number;
}

export class LanceSearchIndex implements SearchIndex {
  readonly dimension: number;
  private readonly tables = new Map<string, Promise<Table>>();
  private readonly writes = new Map<string, Promise<unknown>>();
  /** Tenants whose table is known to have its full-text and room indices. */
  private readonly indexed = new Set<string>();

  private constructor(
    private readonly db: Connection,
    private readonly dir: string,
    dimension: number,
    private readonly foldIntoIndexAfter: number,
    private readonly vectorIndexFromRows: number,
  ) {
    this.dimension = dimension;
  }

  static async open(options: LanceIndexOptions): Promise<LanceSearchIndex> {
    // Interval 0: every read sees what other processes committed before it.
    const db = await lancedb.connect(options.dir, { readConsistencyInterval: 0 });
    return new LanceSearchIndex(db, options.dir, options.dimension, options.foldIntoIndexAfter ?? 2_000, options.vectorIndexFromRows ?? 10_000);
  }

  async upsert(docs: readonly SearchDocument[]): Promise<void> {
    checkDocuments(docs, this.dimension);
    const byTenant = new Map<string, SearchDocument[]>();
    for (const d of docs) {
      const batch = byTenant.get(d.tenantId);
      if (batch) batch.push(d);
      else byTenant.set(d.tenantId, [d]);
    }
    for (const [tenantId, batch] of byTenant) {
      await this.writing(tenantId, async (table) => {
        // Last write per message wins inside a batch, as it would across batches.
        const latest = [...new Map(batch.map((d) => [d.messageId, d])).values()];
        await retryingConflicts(() =>
          table
            .mergeInsert('message_id')
            .whenMatchedUpdateAll({ where: 'target.updated_at <= source.updated_at' })
            .whenNotMatchedInsertAll()
            .execute(toRows(latest, this.dimension)),
        );
        await this.maintain(table);
      });
    }
  }

  async remove(tenantId: string, messageIds: readonly string[]): Promise<void> {
    checkMessageIds(tenantId, messageIds);
    await this.writing(tenantId, (table) =>
      retryingConflicts(() => removePhysically(table, path.join(this.dir, `${tableName(tenantId)}.lance`), messageIds, this.vectorIndexFromRows)),
    );
  }

  async purge(tenantId: string): Promise<void> {
    checkId('tenantId', tenantId);
    await this.queued(tenantId, async () => {
      this.forget(tenantId);
      await this.db.dropTable(tableName(tenantId)).catch((err: unknown) => {
        if (!isMissingTable(err)) throw err;
      });
    });
  }

  async search(q: SearchQuery): Promise<SearchPage> {
    checkQuery(q, this.dimension);
    cursorOffset(q);
    const ranked = q.roomIds.length > 0 ? await this.reading(q.tenantId, (table) => this.ranked(table, q)) : [];
    return pageOfHits(q, ranked.slice(0, MAX_SEARCH_DEPTH));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.writes.values()]);
    for (const table of await Promise.allSettled(this.tables.values())) if (table.status === 'fulfilled') table.value.close();
    this.tables.clear();
    this.db.close();
  }

  private async ranked(table: Table, q: SearchQuery): Promise<Candidate[]> {
    const where = filterOf(q);
    if (q.mode === 'keyword') return this.byWords(table, q.text, where);
    const vector = q.vector as Float32Array;
    if (q.mode === 'semantic') return this.byVector(table, vector, where);
    return fuseByRank(await Promise.all([this.byWords(table, q.text, where), this.byVector(table, vector, where)]));
  }

  private async byWords(table: Table, text: string, where: string): Promise<Candidate[]> {
    if (queryTokens(text).size === 0) return [];
    const rows = (await table
      .query()
      .fullTextSearch(new MatchQuery(text, 'body'))
      .where(where)
      .select([...COLUMNS, '_score'])
      .limit(MAX_SEARCH_DEPTH)
      .toArray()) as Row[];
    return stableOrder(
      rows.map((r) => candidate(r, r._score ?? 0)),
      MAX_SEARCH_DEPTH,
    );
  }

  private async byVector(table: Table, vector: Float32Array, where: string): Promise<Candidate[]> {
    const rows = (await table
      .query()
      .nearestTo(vector)
      .distanceType('cosine')
      .minimumNprobes(MIN_PROBES)
      .maximumNprobes(ALL_PARTITIONS)
      .where(where)
      .select([...COLUMNS, '_distance'])
      .limit(MAX_SEARCH_DEPTH)
      .toArray()) as Row[];
    return stableOrder(
      rows.map((r) => candidate(r, 1 - (r._distance ?? 1))),
      MAX_SEARCH_DEPTH,
    );
  }

  /** A vector index once the table is large enough; unindexed rows folded into the indices once there are many. */
  private async maintain(table: Table): Promise<void> {
    if (!(await hasIndex(table, VECTOR_INDEX)) && (await table.countRows()) >= this.vectorIndexFromRows) await createIndexOnce(table, 'vector', VECTOR_INDEX, vectorIndex);
    const stats = await table.indexStats(FTS_INDEX);
    if ((stats?.numUnindexedRows ?? 0) > this.foldIntoIndexAfter) await retryingConflicts(() => table.optimize());
  }

  /** The tenant's table if it exists; searching never creates one. */
  private async existing(tenantId: string): Promise<Table | undefined> {
    const cached = this.tables.get(tenantId);
    if (cached) return cached;
    try {
      const table = await this.db.openTable(tableName(tenantId));
      this.tables.set(tenantId, Promise.resolve(table));
      return table;
    } catch (err) {
      if (isMissingTable(err)) return undefined;
      throw err;
    }
  }

  /** The tenant's table, created with its full-text and room indices on first use (by whichever process gets there first). */
  private table(tenantId: string): Promise<Table> {
    let table = this.tables.get(tenantId);
    if (!table) {
      table = retryingConflicts(() => this.db.createEmptyTable(tableName(tenantId), tableSchema(this.dimension), { existOk: true }));
      this.tables.set(tenantId, table);
      table.catch(() => this.tables.delete(tenantId));
    }
    return table.then(async (t) => {
      if (!this.indexed.has(tenantId)) {
        await createIndexOnce(t, 'body', FTS_INDEX, ftsIndex);
        await createIndexOnce(t, 'room_id', ROOM_INDEX, roomIndex);
      }
      this.indexed.add(tenantId);
      return t;
    });
  }

  /** A read of the tenant's table (none: nothing found), met once more on a fresh handle if its files vanished under it. */
  private async reading<T>(tenantId: string, read: (table: Table) => Promise<T[]>): Promise<T[]> {
    for (let attempt = 1; ; attempt++) {
      const table = await this.existing(tenantId);
      if (!table) return [];
      try {
        return await read(table);
      } catch (err) {
        if (attempt > 1 || !isVanished(err)) throw err;
        this.forget(tenantId);
      }
    }
  }

  private writing<T>(tenantId: string, write: (table: Table) => Promise<T>): Promise<T> {
    return this.queued(tenantId, async () => {
      try {
        return await write(await this.table(tenantId));
      } catch (err) {
        if (!isVanished(err)) throw err;
        this.forget(tenantId);
        return write(await this.table(tenantId));
      }
    });
  }

  private forget(tenantId: string): void {
    this.tables.delete(tenantId);
    this.indexed.delete(tenantId);
  }

  /** One write at a time per tenant in this process; a failed write does not block the next. */
  private queued<T>(tenantId: string, run: () => Promise<T>): Promise<T> {
    const before = this.writes.get(tenantId) ?? Promise.resolve();
    const next = before.catch(() => undefined).then(run);
    this.writes.set(tenantId, next);
    void next.finally(() => {
      if (this.writes.get(tenantId) === next) this.writes.delete(tenantId);
    }).catch(() => undefined);
    return next;
  }
}
