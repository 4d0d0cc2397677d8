import type { SqlPool } from '../../lib/infra/db.js';

// The export's hand-written SQL: it reads every message of a room, and
// Prisma's per-row cost (its include queries and result mapping) was more than
// half of the time spent staging messages (docs/performance-notes.md,
// "export.ts"), so these go through the mariadb driver. The records made of
// them are the same as Prisma's were, byte for byte.
//
// Messages come a page at a time by the keyset (created_at, id): ties on
// created_at are ordered by id, so no message is read twice or skipped
// whatever the page size. The index wave_messages_room_created_idx (room_id,
// created_at, id) makes each page a range read from the cursor on; it is
// forced because, left to itself, MariaDB may pick a lookup on room_id alone
// when it guesses the range holds most of the room, and then every page reads
// the room's index from its first message to the cursor (a 300k-message room:
// 45 million index entries read for 300 pages instead of 300 thousand).

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

/** Up to `take` of the range's messages after the cursor (epoch ms and id of the last one done), in keyset order. */
export async function messageRows(
  sql: SqlPool,
  range: { tenantId: string; roomId: string; since: Date | null; until: Date },
  after: { createdAt: number; id: string } | null,
  take: number,
): Promise<MessageRow[]> {
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

/** Every revision of these messages, grouped by message, oldest first. */
export function revisionRows(sql: SqlPool, ids: string[]): Promise<RevisionRow[]> {
  return sql.query<RevisionRow[]>('SELECT message_id, body, edited_at, editor_id FROM wave_message_revisions WHERE message_id IN (?) ORDER BY message_id, id', [ids]);
}

/** Every reaction to these messages, grouped by message, in the order given. */
export function reactionRows(sql: SqlPool, ids: string[]): Promise<ReactionRow[]> {
  return sql.query<ReactionRow[]>(
    'SELECT message_id, user_id, emoji, created_at FROM wave_reactions WHERE message_id IN (?) ORDER BY message_id, created_at, user_id, emoji',
    [ids],
  );
}
