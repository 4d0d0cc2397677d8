import type { SqlPool } from '../../lib/infra/db.js';
import type { MessageRecord } from './format.js';
import { messageRows, reactionRows, revisionRows, type MessageRow, type ReactionRow, type RevisionRow } from './sql.js';

// A room's messages as bundle records, a page at a time from a cursor
// (domains/export/sql.ts reads the rows: the keyset, the index it forces, and
// why through the driver). A cursor saved after a page is all a resumed export
// needs.

export interface MessageCursor {
  /** epoch ms of the last message done */
  createdAt: number;
  id: string;
}

export interface ExportRange {
  tenantId: string;
  roomId: string;
  since: Date | null;
  until: Date;
}

interface RecordPage {
  records: MessageRecord[];
  /** null when the page was empty: the range is done */
  last: MessageCursor | null;
}

export function rangeWhere(r: ExportRange) {
  return { tenantId: r.tenantId, roomId: r.roomId, createdAt: { ...(r.since ? { gte: r.since } : {}), lt: r.until } };
}

const iso = (d: Date): string => d.toISOString();

/** Rows grouped by their message, in the order they came. */
function byMessage<R extends { message_id: string }>(rows: R[]): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const r of rows) {
    const list = out.get(r.message_id);
    if (list) list.push(r);
    else out.set(r.message_id, [r]);
  }
  return out;
}

/** The bundle's records of message rows, given every revision and reaction row of those messages (each in its order). */
export function recordsOf(rows: MessageRow[], revisions: RevisionRow[], reactions: ReactionRow[]): MessageRecord[] {
  const revisionsOf = byMessage(revisions);
  const reactionsOf = byMessage(reactions);
  return rows.map((m) => ({
    id: m.id,
    seq: Number(m.seq),
    authorId: m.author_id,
    createdAt: iso(m.created_at),
    threadParentId: m.thread_parent_id,
    body: m.body,
    mentions: typeof m.mentions === 'string' ? (JSON.parse(m.mentions) as string[]) : m.mentions,
    editedAt: m.edited_at ? iso(m.edited_at) : null,
    revisions: (revisionsOf.get(m.id) ?? []).map((r) => ({ body: r.body, editedAt: iso(r.edited_at), editorId: r.editor_id })),
    deleted: m.deleted_at ? { at: iso(m.deleted_at), byId: m.deleted_by_id ?? m.author_id } : null,
    reactions: (reactionsOf.get(m.id) ?? []).map((r) => ({ userId: r.user_id, emoji: r.emoji, at: iso(r.created_at) })),
  }));
}

export async function readMessagePage(sql: SqlPool, range: ExportRange, after: MessageCursor | null, take: number): Promise<RecordPage> {
  const rows = await messageRows(sql, range, after, take);
  const last = rows.at(-1);
  if (!last) return { records: [], last: null };
  const ids = rows.map((m) => m.id);
  const [revisions, reactions] = await Promise.all([revisionRows(sql, ids), reactionRows(sql, ids)]);
  return { records: recordsOf(rows, revisions, reactions), last: { createdAt: last.created_at.getTime(), id: last.id } };
}
