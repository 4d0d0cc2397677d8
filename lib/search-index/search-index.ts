// The message index of ScaiWave: one interface, two backends (the embedded
// LanceDB index in lib/search-index/lance-index.ts, Weaviate in
// lib/search-index/weaviate-index.ts), one contract (test/search-index.contract.ts).
//
// Message text is personal data: no backend logs it, and no error it throws
// quotes it (ids only).

export const SEARCH_MODES = ['hybrid', 'keyword', 'semantic'] as const;
/** keyword: BM25 over the words; semantic: cosine over the vectors; hybrid: both, fused by reciprocal rank. */
export type SearchMode = (typeof SEARCH_MODES)[number];

/** One message as the index holds it. */
export interface SearchDocument {
  messageId: string;
  tenantId: string;
  workspaceId: string;
  roomId: string;
  authorId: string;
  createdAt: Date;
  /**
   * When this text was written (the message's editedAt, else createdAt). An
   * upsert carrying an older time than the stored one is ignored, so a backfill
   * that read a row before an edit cannot put the old text back.
   */
  updatedAt: Date;
  body: string;
  /** L2-normalised, exactly `SearchIndex.dimension` long. */
  vector: Float32Array;
}

export interface SearchQuery {
  tenantId: string;
  /**
   * The rooms the caller may read now. Required: the index filters by it inside
   * its query, so a room outside it never appears in any mode. Empty → no hits.
   */
  roomIds: readonly string[];
  /** The words typed; keyword and hybrid need some, semantic uses them only to highlight. */
  text: string;
  /** The embedding of `text`; semantic and hybrid need it. */
  vector?: Float32Array;
  mode: SearchMode;
  authorId?: string;
  /** createdAt strictly before this instant. */
  before?: Date;
  /** createdAt strictly after this instant. */
  after?: Date;
  /** Hits per page, 1..MAX_PAGE_SIZE. */
  limit: number;
  /** `nextCursor` of the previous page of the same search. */
  cursor?: string;
}

export interface SearchHit {
  messageId: string;
  roomId: string;
  authorId: string;
  createdAt: Date;
  /** Higher is better. Keyword: BM25; semantic: cosine similarity; hybrid: reciprocal-rank fusion. Comparable only within one search. */
  score: number;
  /**
   * Up to SNIPPET_CHARS characters of the text around the first match, every
   * matched word wrapped in « and » (HIGHLIGHT_OPEN / HIGHLIGHT_CLOSE). The
   * text's own « and » are shown as ‹ and ›, so every guillemet in a snippet is
   * a marker. Plain text: escape it for HTML like any other.
   */
  snippet: string;
}

export interface SearchPage {
  hits: SearchHit[];
  /** Opaque; pass it back with the same search for the next page. null: no more. */
  nextCursor: string | null;
}

export interface SearchIndex {
  /** Length of every vector this index takes. */
  readonly dimension: number;
  /** Insert or replace by messageId (an edit replaces the old text). Idempotent. */
  upsert(docs: readonly SearchDocument[]): Promise<void>;
  /**
   * Removes the messages physically: when this resolves, no file of the index
   * holds their text or vectors, nor the text any of the tenant's messages had
   * before an edit (the embedded index prunes old versions here). Idempotent.
   */
  remove(tenantId: string, messageIds: readonly string[]): Promise<void>;
  search(query: SearchQuery): Promise<SearchPage>;
  /** Erases every document of the tenant, physically. */
  purge(tenantId: string): Promise<void>;
  close(): Promise<void>;
}

export const HIGHLIGHT_OPEN = '«';
export const HIGHLIGHT_CLOSE = '»';
export const SNIPPET_CHARS = 200;
export const MAX_PAGE_SIZE = 100;
/**
 * How deep one search reaches: every page is a slice of the same best
 * MAX_SEARCH_DEPTH hits, which is what keeps pages free of repeats and gaps.
 */
export const MAX_SEARCH_DEPTH = 100;
