import { createHash } from 'node:crypto';
import { AppError } from '../errors.js';
import type { SearchPage, SearchQuery } from './search-index.js';
import type { Candidate } from './ranking.js';
import { snippet } from './highlight.js';

// A cursor is the offset of the next page in the search's ordered list
// (ranking.ts keeps that list the same from page to page), tied to the search
// it came from: used with other words, mode or filters it is refused rather
// than silently paging another list. The room list and the query vector are
// not part of the tie: membership may change between two pages (the rooms
// filter still applies), and the caller embeds the same words again.

interface CursorBody {
  v: 1;
  o: number;
  s: string;
}

function searchKey(q: SearchQuery): string {
  const parts = [q.tenantId, q.mode, q.text, q.authorId ?? '', q.before?.toISOString() ?? '', q.after?.toISOString() ?? ''];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

function encodeCursor(q: SearchQuery, offset: number): string {
  const body: CursorBody = { v: 1, o: offset, s: searchKey(q) };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** The offset a query's cursor points at: 0 without one. */
export function cursorOffset(q: SearchQuery): number {
  if (q.cursor === undefined) return 0;
  let body: Partial<CursorBody> | undefined;
  try {
    body = JSON.parse(Buffer.from(q.cursor, 'base64url').toString('utf8')) as Partial<CursorBody>;
  } catch {
    body = undefined;
  }
  if (body?.v !== 1 || !Number.isInteger(body.o) || (body.o ?? -1) < 0) throw new AppError('VALIDATION_ERROR', 'cursor: not a search cursor');
  if (body.s !== searchKey(q)) throw new AppError('VALIDATION_ERROR', 'cursor: belongs to another search');
  return body.o as number;
}

/** The page of `ordered` the query asks for, and the cursor of the one after it. */
function pageOf<T>(q: SearchQuery, ordered: readonly T[]): { rows: T[]; nextCursor: string | null } {
  const offset = cursorOffset(q);
  const end = offset + q.limit;
  return { rows: ordered.slice(offset, end), nextCursor: end < ordered.length ? encodeCursor(q, end) : null };
}

/** The page of a backend's ordered candidates the query asks for, as hits with snippets. */
export function pageOfHits(q: SearchQuery, ordered: readonly Candidate[]): SearchPage {
  const { rows, nextCursor } = pageOf(q, ordered);
  return {
    hits: rows.map((c) => ({ messageId: c.messageId, roomId: c.roomId, authorId: c.authorId, createdAt: c.createdAt, score: c.score, snippet: snippet(c.body, q.text) })),
    nextCursor,
  };
}
