import { gzipSync } from 'node:zlib';
import { recordsOf } from '../../domains/export/message-records.js';
import type { MessageRow, ReactionRow, RevisionRow } from '../../domains/export/sql.js';
import type { SqlPool } from '../../lib/infra/db.js';

// The export bench's baseline: the same rows the export reads (every message of
// the room with its revisions and reactions) with three plain SELECTs through
// the mariadb driver, made into the bundle's message records (the export's own
// mapping), written as JSON Lines and gzip'd at the export's level, all in this
// process and in memory: no paging, no resumption, no S3. What reading and
// compressing the data costs.

export interface BaselineFigures {
  messages: number;
  selectMs: number;
  /** records built, JSON Lines written and gzip'd */
  gzipMs: number;
  jsonBytes: number;
  gzipBytes: number;
}

export async function selectAndGzip(sql: SqlPool, tenantId: string, roomId: string, until: Date): Promise<BaselineFigures> {
  const t0 = performance.now();
  const [messages, revisions, reactions] = await Promise.all([
    sql.query<MessageRow[]>(
      `SELECT id, seq, author_id, created_at, thread_parent_id, body, mentions, edited_at, deleted_at, deleted_by_id
       FROM wave_messages WHERE tenant_id = ? AND room_id = ? AND created_at < ? ORDER BY created_at, id`,
      [tenantId, roomId, until],
    ),
    sql.query<RevisionRow[]>(
      `SELECT v.message_id, v.body, v.edited_at, v.editor_id FROM wave_message_revisions v JOIN wave_messages m ON m.id = v.message_id
       WHERE m.room_id = ? AND m.created_at < ? ORDER BY v.message_id, v.id`,
      [roomId, until],
    ),
    sql.query<ReactionRow[]>(
      `SELECT x.message_id, x.user_id, x.emoji, x.created_at FROM wave_reactions x JOIN wave_messages m ON m.id = x.message_id
       WHERE m.room_id = ? AND m.created_at < ? ORDER BY x.message_id, x.created_at, x.user_id, x.emoji`,
      [roomId, until],
    ),
  ]);
  const t1 = performance.now();
  const lines = recordsOf(messages, revisions, reactions).map((r) => JSON.stringify(r));
  lines.push('');
  const json = Buffer.from(lines.join('\n'), 'utf8');
  const gz = gzipSync(json, { level: 6 });
  return { messages: messages.length, selectMs: t1 - t0, gzipMs: performance.now() - t1, jsonBytes: json.length, gzipBytes: gz.length };
}
