import type { WaveMessage } from '../../lib/generated/prisma/client.js';
import type { SqlPool } from '../../lib/infra/db.js';

// Messages read through the mariadb driver rather than Prisma, for the reads
// every page, socket and long-poll makes (docs/performance-notes.md, "wave.ts"): one
// text-protocol round trip a query, where Prisma's adapter prepares, executes
// and closes a statement each time and maps every row twice. The rows come out
// as Prisma's WaveMessage, so the views and the rules around them are the same.

/** Every column of wave_messages, in the order of MessageRow. */
const MESSAGE_COLUMNS =
  'id, tenant_id, room_id, seq, author_id, thread_parent_id, body, mentions, created_at, edited_at, deleted_at, deleted_by_id';

export interface MessageRow {
  id: string;
  tenant_id: string;
  room_id: string;
  seq: bigint;
  author_id: string;
  thread_parent_id: string | null;
  body: string | null;
  /** JSON as text: the queries ask for autoJsonMap off, whatever the server's column metadata says */
  mentions: string;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
  deleted_by_id: string | null;
}

function messageOf(r: MessageRow): WaveMessage {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    roomId: r.room_id,
    seq: r.seq,
    authorId: r.author_id,
    threadParentId: r.thread_parent_id,
    body: r.body,
    mentions: JSON.parse(r.mentions) as string[],
    createdAt: r.created_at,
    editedAt: r.edited_at,
    deletedAt: r.deleted_at,
    deletedById: r.deleted_by_id,
  };
}

/** Rows of wave_messages as WaveMessage; `where` and what follows it name columns of the table only. */
export async function queryMessages(sql: SqlPool, where: string, values: unknown[]): Promise<WaveMessage[]> {
  const rows = await sql.query<MessageRow[]>({ sql: `SELECT ${MESSAGE_COLUMNS} FROM wave_messages WHERE ${where}`, autoJsonMap: false }, values);
  return rows.map(messageOf);
}

/** The messages of a tenant with these ids, in no particular order. */
export function messagesById(sql: SqlPool, tenantId: string, ids: string[]): Promise<WaveMessage[]> {
  return ids.length === 0 ? Promise.resolve([]) : queryMessages(sql, 'id IN (?) AND tenant_id = ?', [ids, tenantId]);
}
