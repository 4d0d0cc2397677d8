import type { Caller } from '../../lib/auth/caller-identity.js';
import { AppError } from '../../lib/errors.js';
import type { Db, SqlPool } from '../../lib/infra/db.js';
import { memberRooms } from '../wave/sql.js';
import type { SearchServices } from '../../lib/search-index/search-services.js';
import type { SearchHit, SearchMode } from '../../lib/search-index/search-index.js';

// Search over the messages of the rooms the caller is in now. Permissions are
// checked at query time, twice: the index filters by the caller's rooms inside
// its query, and every hit is checked again against MariaDB before it is
// answered — a message deleted (or a room left) since it was indexed is not
// shown, even while the index has yet to hear of it.

interface MessageSearch {
  text: string;
  /**
   * The caller's own ScaiKey token, when it came with one: ScaiGrid takes it
   * (seed 002), so embedding the words is the user's call, counted and limited
   * as theirs; without one (an API key), the platform key embeds them.
   */
  userToken?: string;
  mode: SearchMode;
  roomId?: string;
  authorId?: string;
  before?: Date;
  after?: Date;
  limit: number;
  cursor?: string;
}

export async function searchMessages(db: Db, sql: SqlPool, search: SearchServices, caller: Caller, q: MessageSearch): Promise<{ hits: SearchHit[]; nextCursor: string | null }> {
  const member = await memberRooms(sql, caller);
  // A room the caller is not in reads as one that does not exist, as everywhere else.
  if (q.roomId !== undefined && !member.includes(q.roomId)) throw new AppError('NOT_FOUND', 'room not found');
  const roomIds = q.roomId !== undefined ? [q.roomId] : member;
  if (roomIds.length === 0) return { hits: [], nextCursor: null };
  const vector = q.mode === 'keyword' ? undefined : Float32Array.from((await embedQuery(search, q.text, q.userToken))[0]!);
  const index = await search.index();
  const page = await index.search({ tenantId: caller.tenantId, roomIds, text: q.text, vector, mode: q.mode, authorId: q.authorId, before: q.before, after: q.after, limit: q.limit, cursor: q.cursor });
  if (page.hits.length === 0) return page;
  const current = await db.waveMessage.findMany({
    where: { tenantId: caller.tenantId, id: { in: page.hits.map((h) => h.messageId) }, roomId: { in: roomIds }, deletedAt: null },
    select: { id: true },
  });
  const shown = new Set(current.map((m) => m.id));
  return { hits: page.hits.filter((h) => shown.has(h.messageId)), nextCursor: page.nextCursor };
}

async function embedQuery(search: SearchServices, text: string, credential: string | undefined): Promise<number[][]> {
  try {
    return await search.embedder.embed([text], { credential });
  } catch {
    throw new AppError('BACKEND_UNAVAILABLE', 'semantic search is unavailable right now; keyword mode still answers');
  }
}
