import { createHash, randomBytes } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SqlPool } from '../../lib/infra/db.js';
import { newId } from '../../lib/infra/ids.js';
import { mediaObjectKey } from '../../domains/wave/media.js';
import { prng } from '../../devstack/prng.js';
import { syntheticMessages } from './synthetic-messages.js';

// A room as big as the export bench asks for, written straight into MariaDB
// (and S3 for its media): far more than can be posted through the API in a
// bench's time. The talk is the search bench's synthetic corpus (eight
// languages, 4–18 words) with a few long messages, thread replies, mentions,
// edits (every earlier text a revision row), deletions (tombstones without
// text) and reactions, in the shares below; a few messages share a created_at
// millisecond, so the export's keyset has ties to order by id. Deterministic
// from the seed, apart from the ids.

const SHARE = { long: 0.03, reply: 0.08, mention: 0.05, edited: 0.05, deleted: 0.02, reacted: 0.15, tie: 0.05 };
const EMOJI = ['👍', '🎉', '❤️', '😂', '👀', '✅', '🙏', ':custom_ship_it:'];
const INSERT_ROWS = 2000;

export interface RoomShape {
  tenantId: string;
  roomId: string;
  /** the room's posters: authors, editors, reactors */
  userIds: string[];
  messages: number;
  seed: number;
  /** created_at of the last message; the first is about a second per message earlier */
  endsAt: Date;
}

export interface SeededCounts {
  messages: number;
  revisions: number;
  tombstones: number;
  reactions: number;
  /** UTF-8 bytes of the bodies and revision texts */
  textBytes: number;
}

interface Rows {
  messages: unknown[][];
  revisions: unknown[][];
  reactions: unknown[][];
}

const MESSAGE_SQL =
  'INSERT INTO wave_messages (id, tenant_id, room_id, seq, author_id, thread_parent_id, body, mentions, created_at, edited_at, deleted_at, deleted_by_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const REVISION_SQL = 'INSERT INTO wave_message_revisions (message_id, tenant_id, body, edited_at, editor_id) VALUES (?, ?, ?, ?, ?)';
const REACTION_SQL = 'INSERT INTO wave_reactions (message_id, user_id, emoji, tenant_id, created_at) VALUES (?, ?, ?, ?, ?)';

/** One transaction per flush: in autocommit the driver's batch can commit (and sync the log) row by row. */
async function flush(sql: SqlPool, rows: Rows): Promise<void> {
  const conn = await sql.getConnection();
  try {
    await conn.beginTransaction();
    // Messages first: revisions and reactions refer to them.
    if (rows.messages.length > 0) await conn.batch(MESSAGE_SQL, rows.messages);
    if (rows.revisions.length > 0) await conn.batch(REVISION_SQL, rows.revisions);
    if (rows.reactions.length > 0) await conn.batch(REACTION_SQL, rows.reactions);
    await conn.commit();
  } finally {
    await conn.release();
  }
  rows.messages = [];
  rows.revisions = [];
  rows.reactions = [];
}

/** Writes the room's messages with their revisions and reactions; answers what it wrote. */
export async function seedMessages(sql: SqlPool, room: RoomShape): Promise<SeededCounts> {
  const rand = prng(room.seed ^ 0x5eed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  // Enough text for every body, revision and long message, drawn in order.
  const corpus = syntheticMessages({ seed: room.seed, messages: Number.MAX_SAFE_INTEGER, rooms: 1, authors: room.userIds.length });
  const text = (): string => corpus.next().value!.body;
  const counts: SeededCounts = { messages: 0, revisions: 0, tombstones: 0, reactions: 0, textBytes: 0 };
  const rows: Rows = { messages: [], revisions: [], reactions: [] };
  const recent: string[] = [];
  let at = room.endsAt.getTime() - room.messages * 1000;
  for (let i = 0; i < room.messages; i++) {
    if (rand() >= SHARE.tie) at += 1 + Math.floor(rand() * 1998);
    const id = newId();
    const author = pick(room.userIds);
    const createdAt = new Date(Math.min(at, room.endsAt.getTime()));
    let body: string | null = rand() < SHARE.long ? Array.from({ length: 8 + Math.floor(rand() * 16) }, text).join(rand() < 0.5 ? '\n' : ' ') : text();
    const threadParentId = recent.length > 0 && rand() < SHARE.reply ? pick(recent) : null;
    const mentions = rand() < SHARE.mention ? [pick(room.userIds)] : [];
    let editedAt: Date | null = null;
    let deleted: [Date, string] | null = null;
    if (rand() < SHARE.deleted) {
      deleted = [new Date(createdAt.getTime() + 60_000), rand() < 0.9 ? author : pick(room.userIds)];
      body = null;
      counts.tombstones++;
    } else if (rand() < SHARE.edited) {
      // The texts before each edit, oldest first; the body is what the last edit left.
      const edits = 1 + Math.floor(rand() * 3);
      for (let k = 1; k <= edits; k++) {
        const before = k === 1 ? body! : text();
        editedAt = new Date(createdAt.getTime() + k * 120_000);
        rows.revisions.push([id, room.tenantId, before, editedAt, author]);
        counts.revisions++;
        counts.textBytes += Buffer.byteLength(before);
      }
      body = text();
    }
    if (rand() < SHARE.reacted) {
      const reactors = new Set(Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(room.userIds)));
      for (const userId of reactors) {
        rows.reactions.push([id, userId, pick(EMOJI), room.tenantId, new Date(createdAt.getTime() + 1000 + Math.floor(rand() * 600_000))]);
        counts.reactions++;
      }
    }
    if (body) counts.textBytes += Buffer.byteLength(body);
    rows.messages.push([id, room.tenantId, room.roomId, i + 1, author, threadParentId, body, JSON.stringify(mentions), createdAt, editedAt, deleted?.[0] ?? null, deleted?.[1] ?? null]);
    counts.messages++;
    recent.push(id);
    if (recent.length > 50) recent.shift();
    if (rows.messages.length >= INSERT_ROWS) await flush(sql, rows);
  }
  await flush(sql, rows);
  await sql.query('UPDATE wave_rooms SET last_seq = ? WHERE id = ?', [room.messages, room.roomId]);
  return counts;
}

export interface MediaObject {
  objectKey: string;
  bytes: number;
  sha256: string;
}

/** `files` objects of random bytes, `fileBytes` each, under the tenant's media keys; a few at a time so the bench holds little. */
export async function seedMediaObjects(s3: S3Client, bucket: string, tenantId: string, files: number, fileBytes: number): Promise<MediaObject[]> {
  const objects: MediaObject[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < files) {
        next++;
        const body = randomBytes(fileBytes);
        const objectKey = mediaObjectKey(tenantId, newId());
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: body, ContentLength: body.length }));
        objects.push({ objectKey, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
      }
    }),
  );
  return objects;
}

/**
 * One wave_media row per object, scanned clean, spread over the room's time.
 * Rows of two rooms may point at the same objects: the export reads each row's
 * object by its key, so the bytes are read again either way.
 */
export async function seedMediaRows(sql: SqlPool, room: RoomShape, objects: MediaObject[]): Promise<void> {
  const span = room.messages * 1000;
  const rows = objects.map((o, k) => [
    newId(),
    room.tenantId,
    room.roomId,
    room.userIds[k % room.userIds.length],
    o.objectKey,
    `recording ${k + 1}.bin`,
    o.bytes,
    o.sha256,
    'application/octet-stream',
    'clean',
    new Date(room.endsAt.getTime() - span + Math.floor(((k + 0.5) * span) / objects.length)),
  ]);
  if (rows.length === 0) return;
  await sql.batch(
    'INSERT INTO wave_media (id, tenant_id, room_id, owner_id, object_key, file_name, bytes, sha256, content_type, scan_status, scanned_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(3), ?)',
    rows,
  );
}
