import { Field, FixedSizeList, Float32, Int64, Schema, Utf8 } from 'apache-arrow';
import * as lancedb from '@lancedb/lancedb';
import type { SearchDocument, SearchQuery } from './search-index.js';
import { MAX_TOKEN_CHARS } from './highlight.js';

// The embedded index's on-disk shape: one LanceDB table per Scai tenant, named
// after the tenant id (search-input.ts allows only [A-Za-z0-9_-] in ids).
//
// Why a table per tenant rather than one table with a tenant column:
// - isolation: a query opens one tenant's files; no filter mistake can reach
//   another tenant's rows, and BM25's word statistics are the tenant's own (a
//   shared table would let one tenant's texts move another's scores);
// - erasure: purging a tenant drops its directory; removing one message
//   rewrites only that tenant's fragments (lance-erasure.ts), never everyone's;
// - symmetry with Weaviate, where each Scai tenant is one Weaviate tenant (a
//   shard of its own), so both backends scope every call the same way.
// The cost is a directory and a cached handle per tenant, which is fine at the
// scale this embedded default is for.

export const FTS_INDEX = 'body_idx';
export const VECTOR_INDEX = 'vector_idx';
export const ROOM_INDEX = 'room_idx';

export const tableName = (tenantId: string): string => `tenant_${tenantId}`;

export const hasIndex = async (table: lancedb.Table, name: string): Promise<boolean> =>
  (await table.listIndices()).some((i) => i.name === name);

/** The row shape; column names are what the filters below and the erasure step use. */
export function tableSchema(dimension: number): Schema {
  return new Schema([
    new Field('message_id', new Utf8(), false),
    new Field('workspace_id', new Utf8(), false),
    new Field('room_id', new Utf8(), false),
    new Field('author_id', new Utf8(), false),
    new Field('created_at', new Int64(), false),
    new Field('updated_at', new Int64(), false),
    new Field('body', new Utf8(), false),
    new Field('vector', new FixedSizeList(dimension, new Field('item', new Float32(), true)), false),
  ]);
}

export function toRows(docs: readonly SearchDocument[], dimension: number) {
  return lancedb.makeArrowTable(
    docs.map((d) => ({
      message_id: d.messageId,
      workspace_id: d.workspaceId,
      room_id: d.roomId,
      author_id: d.authorId,
      created_at: BigInt(d.createdAt.getTime()),
      updated_at: BigInt(d.updatedAt.getTime()),
      body: d.body,
      vector: Array.from(d.vector),
    })),
    { schema: tableSchema(dimension) },
  );
}

/**
 * The full-text index: words as ICU's word segmentation finds them (Chinese,
 * Japanese and Thai too, which put no spaces between words: the simple
 * tokenizer made a whole sentence of them one token), lower-cased, accents
 * folded, no stemming and no stop words (messages come in many languages;
 * English rules would mangle the others). highlight.ts marks words the same
 * way. An index built with another tokenizer is rebuilt by a removal
 * (lance-erasure.ts) or `scaiwave search reindex` after dropping the index dir.
 */
export const ftsIndex = () =>
  lancedb.Index.fts({
    baseTokenizer: 'icu',
    lowercase: true,
    asciiFolding: true,
    stem: false,
    removeStopWords: false,
    maxTokenLength: MAX_TOKEN_CHARS,
    withPosition: false,
  });

/**
 * The vector index, once a table is large enough that scanning every vector is
 * too slow (bench/search-index.ts: p95 ~140 ms at 100k, flat). IVF_FLAT keeps
 * exact vectors in partitions: recall@10 ~1.0 with the probing below, and it
 * trains in seconds (HNSW-SQ and IVF-PQ took ~100 s at 100k here), which
 * matters because removal rebuilds it (lance-erasure.ts).
 */
export const vectorIndex = () => lancedb.Index.ivfFlat({ distanceType: 'cosine' });
/** Partitions probed at least; more (up to all) when the filters leave too few rows in them. */
export const MIN_PROBES = 20;

/** Every search filters by a few of the tenant's rooms: a bitmap of rows per room answers that without reading the column (about a third off query p50 at 100k). */
export const roomIndex = () => lancedb.Index.bitmap();

/** A SQL string literal. Ids are already narrowed to [A-Za-z0-9_-]; quoting is the second guard. */
const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;
export const sqlList = (ids: readonly string[]): string => ids.map(sqlString).join(', ');

/** The query's filters as one SQL predicate, applied inside the engine's search (before the top-k cut). */
export function filterOf(q: SearchQuery): string {
  const terms = [`room_id IN (${sqlList(q.roomIds)})`];
  if (q.authorId !== undefined) terms.push(`author_id = ${sqlString(q.authorId)}`);
  if (q.before !== undefined) terms.push(`created_at < ${q.before.getTime()}`);
  if (q.after !== undefined) terms.push(`created_at > ${q.after.getTime()}`);
  return terms.join(' AND ');
}
