import type { Connection } from 'mariadb';
import type { WaveMessage, WaveRoom, WaveRoomMember } from '../../lib/generated/prisma/client.js';
import { sqlRows, sqlWrite, type SqlOn, type SqlPool } from '../../lib/infra/db.js';

// ScaiWave's hand-written SQL, all of it. These are the statements every post,
// page, socket, long-poll and relay pass runs, through the mariadb driver
// rather than Prisma (docs/performance-notes.md, "wave.ts"): one text-protocol
// round trip a statement, where Prisma's adapter prepares, executes and closes
// a statement each time and maps every row twice. Rows come out as Prisma's
// types, so the rules around them read the same either way; every other read
// and write of the domain goes through Prisma.
//
// Every text column compares byte for byte (utf8mb4_nopad_bin): `id = ?`
// matches only the very id. JSON is asked for as text (autoJsonMap off) and
// parsed here, whatever the server's column metadata says.

// ── Rooms ────────────────────────────────────────────────────────────────

interface AccessRow {
  id: string;
  tenant_id: string;
  workspace_id: string;
  kind: string;
  visibility: string;
  name: string | null;
  topic: string | null;
  created_by_id: string;
  last_seq: bigint;
  archived_at: Date | null;
  created_at: Date;
  updated_at: Date;
  member_role: string | null;
  member_joined_at: Date | null;
  member_tenant_id: string | null;
}

// The caller's current membership joined to the room: (room_id, user_id) is the members' key, so one row at most.
const ACCESS_SQL =
  'SELECT r.id, r.tenant_id, r.workspace_id, r.kind, r.visibility, r.name, r.topic, r.created_by_id, r.last_seq, r.archived_at, r.created_at, r.updated_at, ' +
  'm.role AS member_role, m.joined_at AS member_joined_at, m.tenant_id AS member_tenant_id ' +
  'FROM wave_rooms r LEFT JOIN wave_room_members m ON m.room_id = r.id AND m.user_id = ? AND m.left_at IS NULL ' +
  'WHERE r.id = ? AND r.tenant_id = ?';

/** The tenant's room and the user's current membership of it, each null when there is none; `lock` locks both rows. */
export async function selectRoomAccess(
  on: SqlOn,
  who: { tenantId: string; userId: string },
  roomId: string,
  lock: boolean,
): Promise<{ room: WaveRoom | null; member: WaveRoomMember | null }> {
  const [r] = await sqlRows<AccessRow>(on, lock ? `${ACCESS_SQL} FOR UPDATE` : ACCESS_SQL, [who.userId, roomId, who.tenantId]);
  if (!r) return { room: null, member: null };
  const room: WaveRoom = {
    id: r.id,
    tenantId: r.tenant_id,
    workspaceId: r.workspace_id,
    kind: r.kind,
    visibility: r.visibility,
    name: r.name,
    topic: r.topic,
    createdById: r.created_by_id,
    lastSeq: BigInt(r.last_seq),
    archivedAt: r.archived_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
  const member: WaveRoomMember | null =
    r.member_role !== null
      ? { roomId: r.id, userId: who.userId, tenantId: r.member_tenant_id!, role: r.member_role, joinedAt: r.member_joined_at!, leftAt: null }
      : null;
  return { room, member };
}

/** The room's next message number taken; updated_at as Prisma's @updatedAt keeps it for every other change of the room. */
export function advanceRoomSeq(conn: Connection, roomId: string, seq: bigint, now: Date): Promise<unknown> {
  return conn.query('UPDATE wave_rooms SET last_seq = ?, updated_at = ? WHERE id = ?', [seq, now, roomId]);
}

// ── Members ──────────────────────────────────────────────────────────────

/** Which of these users are members of the room now. */
export async function currentMembersAmong(conn: Connection, roomId: string, userIds: string[]): Promise<Set<string>> {
  const rows = await conn.query<{ user_id: string }[]>('SELECT user_id FROM wave_room_members WHERE room_id = ? AND user_id IN (?) AND left_at IS NULL', [
    roomId,
    userIds,
  ]);
  return new Set(rows.map((m) => m.user_id));
}

/** The rooms the caller is in now: whose events reach it, and what its searches may show. Every long-poll asks. */
export async function memberRooms(sql: SqlPool, who: { tenantId: string; userId: string }): Promise<string[]> {
  const rows = await sql.query<{ room_id: string }[]>('SELECT room_id FROM wave_room_members WHERE tenant_id = ? AND user_id = ? AND left_at IS NULL', [
    who.tenantId,
    who.userId,
  ]);
  return rows.map((r) => r.room_id);
}

// ── Messages ─────────────────────────────────────────────────────────────

/** Every column of wave_messages, in the order of MessageRow. */
const MESSAGE_COLUMNS =
  'id, tenant_id, room_id, seq, author_id, thread_parent_id, body, mentions, created_at, edited_at, deleted_at, deleted_by_id';

interface MessageRow {
  id: string;
  tenant_id: string;
  room_id: string;
  seq: bigint;
  author_id: string;
  thread_parent_id: string | null;
  body: string | null;
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

async function selectMessages(sql: SqlPool, where: string, values: unknown[]): Promise<WaveMessage[]> {
  const rows = await sql.query<MessageRow[]>({ sql: `SELECT ${MESSAGE_COLUMNS} FROM wave_messages WHERE ${where}`, autoJsonMap: false }, values);
  return rows.map(messageOf);
}

export function insertMessage(conn: Connection, m: WaveMessage): Promise<unknown> {
  return conn.query(
    'INSERT INTO wave_messages (id, tenant_id, room_id, seq, author_id, thread_parent_id, body, mentions, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [m.id, m.tenantId, m.roomId, m.seq, m.authorId, m.threadParentId, m.body, JSON.stringify(m.mentions), m.createdAt],
  );
}

/** What a reply needs to know of the message it answers, if that is in the room. */
export async function threadParentOf(
  conn: Connection,
  roomId: string,
  parentId: string,
): Promise<{ threadParentId: string | null; deletedAt: Date | null } | undefined> {
  const [p] = await conn.query<{ thread_parent_id: string | null; deleted_at: Date | null }[]>(
    'SELECT thread_parent_id, deleted_at FROM wave_messages WHERE id = ? AND room_id = ?',
    [parentId, roomId],
  );
  return p && { threadParentId: p.thread_parent_id, deletedAt: p.deleted_at };
}

/** The message, if it is in the room. */
export async function messageInRoom(sql: SqlPool, roomId: string, messageId: string): Promise<WaveMessage | undefined> {
  const [m] = await selectMessages(sql, 'id = ? AND room_id = ?', [messageId, roomId]);
  return m;
}

const TOP_LEVEL = 'room_id = ? AND thread_parent_id IS NULL';

/** Up to `limit` of the room's top-level messages older or newer than `seq`, nearest first. */
export function topLevelBeside(sql: SqlPool, roomId: string, dir: 'older' | 'newer', seq: bigint, limit: number): Promise<WaveMessage[]> {
  const [op, order] = dir === 'older' ? ['<', 'DESC'] : ['>', 'ASC'];
  return selectMessages(sql, `${TOP_LEVEL} AND seq ${op} ? ORDER BY seq ${order} LIMIT ?`, [roomId, seq, limit]);
}

/** Whether the room has a top-level message older or newer than `seq`. */
export async function topLevelBeyond(sql: SqlPool, roomId: string, dir: 'older' | 'newer', seq: bigint): Promise<boolean> {
  const op = dir === 'older' ? '<' : '>';
  return (await sql.query<unknown[]>(`SELECT 1 FROM wave_messages WHERE ${TOP_LEVEL} AND seq ${op} ? LIMIT 1`, [roomId, seq])).length > 0;
}

/** The messages of a tenant with these ids, in no particular order. */
export function messagesById(sql: SqlPool, tenantId: string, ids: string[]): Promise<WaveMessage[]> {
  return ids.length === 0 ? Promise.resolve([]) : selectMessages(sql, 'id IN (?) AND tenant_id = ?', [ids, tenantId]);
}

/** The reactions to these messages, oldest first. */
export function reactionRows(sql: SqlPool, messageIds: string[]): Promise<{ message_id: string; user_id: string; emoji: string }[]> {
  return messageIds.length === 0
    ? Promise.resolve([])
    : sql.query('SELECT message_id, user_id, emoji FROM wave_reactions WHERE message_id IN (?) ORDER BY created_at', [messageIds]);
}

// ── The outbox, which is also the event log ──────────────────────────────

export interface OutboxRow {
  msgId: string;
  tenantId: string;
  roomId: string;
  subject: string;
  payload: string;
  createdAt: Date;
}

/** Events in one INSERT: a batch of an erasure appends hundreds, and one statement each was most of its time. */
export function insertOutboxRows(on: SqlOn, rows: OutboxRow[]): Promise<void> {
  const values = rows.map(() => '(?, ?, ?, ?, ?, ?)').join(', ');
  const params = rows.flatMap((r) => [r.msgId, r.tenantId, r.roomId, r.subject, r.payload, r.createdAt]);
  return sqlWrite(on, `INSERT INTO wave_outbox (msg_id, tenant_id, room_id, subject, payload, created_at) VALUES ${values}`, params);
}

/** Whether any event waits for the relay: a plain indexed read, no lock. */
export async function anyUnpublished(sql: SqlPool): Promise<boolean> {
  return (await sql.query<unknown[]>('SELECT id FROM wave_outbox WHERE published_at IS NULL LIMIT 1')).length > 0;
}

export interface PendingRow {
  id: bigint;
  msg_id: string;
  tenant_id: string;
  room_id: string;
  subject: string;
  payload: string | object;
}

/** Up to `limit` unpublished events in commit order, locked for the relay's transaction. */
export function lockUnpublished(conn: Connection, limit: number): Promise<PendingRow[]> {
  return conn.query<PendingRow[]>(
    'SELECT id, msg_id, tenant_id, room_id, subject, payload FROM wave_outbox WHERE published_at IS NULL ORDER BY id LIMIT ? FOR UPDATE',
    [limit],
  );
}

/** Marks the events published, each with the stream sequence JetStream gave it; one statement for the batch. */
export function markPublished(conn: Connection, published: { id: bigint; streamSeq: number }[]): Promise<unknown> {
  return conn.query(
    `UPDATE wave_outbox SET published_at = NOW(3), stream_seq = CASE id ${published.map(() => 'WHEN ? THEN ?').join(' ')} END
     WHERE id IN (${published.map(() => '?').join(', ')})`,
    [...published.flatMap((p) => [p.id, p.streamSeq]), ...published.map((p) => p.id)],
  );
}

/** The tenant's newest stream sequence, 0 when it has none. */
export async function latestStreamSeq(sql: SqlPool, tenantId: string): Promise<bigint> {
  const [last] = await sql.query<{ seq: bigint | null }[]>('SELECT MAX(stream_seq) AS seq FROM wave_outbox WHERE tenant_id = ?', [tenantId]);
  return last?.seq ?? 0n;
}

/** The tenant's relayed events after `cursor`, in stream order, payloads as text; only those of `rooms` when given. */
export function relayedAfter(
  sql: SqlPool,
  tenantId: string,
  cursor: bigint,
  limit: number,
  rooms?: string[],
): Promise<{ stream_seq: bigint; payload: string }[]> {
  const inRooms = rooms ? ' AND room_id IN (?)' : '';
  return sql.query(
    { sql: `SELECT stream_seq, payload FROM wave_outbox WHERE tenant_id = ?${inRooms} AND stream_seq > ? ORDER BY stream_seq LIMIT ?`, autoJsonMap: false },
    [tenantId, ...(rooms ? [rooms] : []), cursor, limit],
  );
}

/** The newest sequence the tenant's log was pruned through, if it ever was. */
export async function prunedThroughSeq(sql: SqlPool, tenantId: string): Promise<bigint | undefined> {
  const [h] = await sql.query<{ pruned_through_seq: bigint }[]>('SELECT pruned_through_seq FROM wave_event_horizons WHERE tenant_id = ?', [tenantId]);
  return h?.pruned_through_seq;
}
