import { gzipSync } from 'node:zlib';
import type { MessageRecord } from '../../lib/export/format.js';
import type { SqlPool } from '../../lib/infra/db.js';

// The export bench's baseline: the same rows the export reads (every message of
// the room with its revisions and reactions), with three plain SELECTs through
// the mariadb driver, made into the bundle's message records, written as JSON
// Lines and gzip'd at the export's level, all in this process and in memory. No
// paging, no resumption, no S3: what reading and compressing the data costs.

export interface BaselineFigures {
  messages: number;
  selectMs: number;
  /** records built, JSON Lines written and gzip'd */
  gzipMs: number;
  jsonBytes: number;
  gzipBytes: number;
}

interface MessageRow {
  id: string;
  seq: bigint | number;
  author_id: string;
  created_at: Date;
  thread_parent_id: string | null;
  body: string | null;
  mentions: string | string[];
  edited_at: Date | null;
  deleted_at: Date | null;
  deleted_by_id: string | null;
}

const iso = (d: Date): string => d.toISOString();

/** Appends each row to its message's list, rows arriving grouped by message. */
function byMessage<R extends { message_id: string }>(rows: R[]): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const r of rows) {
    const list = out.get(r.message_id);
    if (list) list.push(r);
    else out.set(r.message_id, [r]);
  }
  return out;
}

export async function selectAndGzip(sql: SqlPool, tenantId: string, roomId: string, until: Date): Promise<BaselineFigures> {
  const t0 = performance.now();
  const [messages, revisions, reactions] = await Promise.all([
    sql.query<MessageRow[]>(
      `SELECT id, seq, author_id, created_at, thread_parent_id, body, mentions, edited_at, deleted_at, deleted_by_id
       FROM wave_messages WHERE tenant_id = ? AND room_id = ? AND created_at < ? ORDER BY created_at, id`,
      [tenantId, roomId, until],
    ),
    sql.query<{ message_id: string; body: string | null; edited_at: Date; editor_id: string }[]>(
      `SELECT v.message_id, v.body, v.edited_at, v.editor_id FROM wave_message_revisions v JOIN wave_messages m ON m.id = v.message_id
       WHERE m.room_id = ? AND m.created_at < ? ORDER BY v.message_id, v.id`,
      [roomId, until],
    ),
    sql.query<{ message_id: string; user_id: string; emoji: string; created_at: Date }[]>(
      `SELECT x.message_id, x.user_id, x.emoji, x.created_at FROM wave_reactions x JOIN wave_messages m ON m.id = x.message_id
       WHERE m.room_id = ? AND m.created_at < ? ORDER BY x.message_id, x.created_at, x.user_id, x.emoji`,
      [roomId, until],
    ),
  ]);
  const t1 = performance.now();
  const revisionsOf = byMessage(revisions);
  const reactionsOf = byMessage(reactions);
  const lines: string[] = [];
  for (const m of messages) {
    const record: MessageRecord = {
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
    };
    lines.push(JSON.stringify(record));
  }
  lines.push('');
  const json = Buffer.from(lines.join('\n'), 'utf8');
  const gz = gzipSync(json, { level: 6 });
  return { messages: messages.length, selectMs: t1 - t0, gzipMs: performance.now() - t1, jsonBytes: json.length, gzipBytes: gz.length };
}
