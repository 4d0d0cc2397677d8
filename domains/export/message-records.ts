import type { SqlPool } from '../../lib/infra/db.js';
import type { MessageRecord } from './format.js';

// A room's messages as bundle records, read a page at a time by the keyset
// (created_at, id): ties on created_at are ordered by id, so no message is read
// twice or skipped whatever the page size, and a cursor saved after a page is
// all a resumed export needs. The index wave_messages_room_created_idx
// (room_id, created_at, id) makes each page a range read from the cursor on;
// it is forced because, left to itself, MariaDB may pick a lookup on room_id
// alone when it guesses the range holds most of the room, and then every page
// reads the room's index from its first message to the cursor (a 300k-message
// room: 45 million index entries read for 300 pages instead of 300 thousand).
//
// Read through the mariadb driver, not Prisma: the export reads every row of
// the room, and Prisma's per-row cost (its include queries and result mapping)
// was more than half of the time spent staging messages (docs/performance-notes.md,
// "export.ts"). The records are the same as Prisma's were, byte for byte.

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

export interface MessageRow {
  id: string;
  seq: bigint;
  author_id: string;
  created_at: Date;
  thread_parent_id: string | null;
  body: string | null;
  /** the driver parses a JSON column when the server says it is one (MariaDB ≥ 10.5.2 does), else hands over its text */
  mentions: string[] | string;
  edited_at: Date | null;
  deleted_at: Date | null;
  deleted_by_id: string | null;
}

export interface RevisionRow {
  message_id: string;
  body: string | null;
  edited_at: Date;
  editor_id: string;
}

export interface ReactionRow {
  message_id: string;
  user_id: string;
  emoji: string;
  created_at: Date;
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

async function messageRows(sql: SqlPool, range: ExportRange, after: MessageCursor | null, take: number): Promise<MessageRow[]> {
  const where = ['tenant_id = ?', 'room_id = ?', 'created_at < ?'];
  const values: unknown[] = [range.tenantId, range.roomId, range.until];
  if (range.since) {
    where.push('created_at >= ?');
    values.push(range.since);
  }
  if (after) {
    const at = new Date(after.createdAt);
    where.push('(created_at > ? OR (created_at = ? AND id > ?))');
    values.push(at, at, after.id);
  }
  return sql.query<MessageRow[]>(
    `SELECT id, seq, author_id, created_at, thread_parent_id, body, mentions, edited_at, deleted_at, deleted_by_id
     FROM wave_messages FORCE INDEX (wave_messages_room_created_idx) WHERE ${where.join(' AND ')} ORDER BY created_at, id LIMIT ?`,
    [...values, take],
  );
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
  const [revisions, reactions] = await Promise.all([
    sql.query<RevisionRow[]>('SELECT message_id, body, edited_at, editor_id FROM wave_message_revisions WHERE message_id IN (?) ORDER BY message_id, id', [ids]),
    sql.query<ReactionRow[]>(
      'SELECT message_id, user_id, emoji, created_at FROM wave_reactions WHERE message_id IN (?) ORDER BY message_id, created_at, user_id, emoji',
      [ids],
    ),
  ]);
  return { records: recordsOf(rows, revisions, reactions), last: { createdAt: last.created_at.getTime(), id: last.id } };
}
