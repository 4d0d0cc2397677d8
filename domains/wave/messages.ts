import type { Caller } from '../../lib/auth/caller-identity.js';
import type { Prisma, WaveMessage, WaveMessageRevision } from '../../lib/generated/prisma/client.js';
import { sqlTransaction, type SqlPool } from '../../lib/infra/db.js';
import { newId } from '../../lib/infra/ids.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { Connection } from 'mariadb';
import { change, type WaveDeps } from './change.js';
import { appendEvent } from './outbox.js';
import { moderates, readableRoom, requireMember, requireOpen, roleOf, type RoomAccess } from './room-access.js';
import {
  advanceRoomSeq,
  currentMembersAmong,
  insertMessage,
  messageInRoom,
  reactionRows,
  threadParentOf,
  topLevelBeside,
  topLevelBeyond,
} from './sql.js';

// Messages: posted by members, edited by their authors only (each earlier text
// kept as a revision), deleted by their authors or the room's owners and
// admins (a tombstone keeps who and when; the text goes, revisions included).
// Each room numbers its messages 1, 2, 3… in the order they committed
// (readableRoom with its lock), which is also the pagination cursor.

/** Characters, as clients count them; the TEXT column holds 65,535 bytes, so 16,000 of 4 bytes each fit. */
export const MESSAGE_MAX_CHARS = 16_000;
export const MENTIONS_MAX = 50;
export const EMOJI_MAX_CHARS = 64;

interface NewMessage {
  body: string;
  mentions: string[];
  threadParentId?: string;
}

const event = (m: WaveMessage, actorId: string) => ({
  tenantId: m.tenantId,
  roomId: m.roomId,
  actorId,
  messageId: m.id,
  seq: m.seq.toString(),
});

/** Every mentioned user must be a current member of the room. */
async function checkMentions(conn: Connection, roomId: string, mentions: string[]): Promise<void> {
  if (mentions.length === 0) return;
  const members = await currentMembersAmong(conn, roomId, mentions);
  const outsiders = mentions.filter((u) => !members.has(u));
  if (outsiders.length > 0) throw new AppError('VALIDATION_ERROR', `mentions: not members of this room: ${outsiders.join(', ')}`);
}

/** A reply goes under a live, top-level message of the same room: threads are one level deep. */
async function checkThreadParent(conn: Connection, roomId: string, parentId: string): Promise<void> {
  const parent = await threadParentOf(conn, roomId, parentId);
  if (!parent || parent.deletedAt) throw new AppError('VALIDATION_ERROR', 'thread_parent_id: no such message in this room');
  if (parent.threadParentId) throw new AppError('VALIDATION_ERROR', 'thread_parent_id: reply to the thread\'s first message');
}

/**
 * Through the driver, the change made most often: the room locked with the
 * caller's membership in one statement, the room's next seq taken from the
 * locked row, the message and its event inserted, nothing read back; three
 * round trips in all (the lock, the writes, the commit) where one a statement
 * made six. A connection not free in time fails before the transaction
 * begins, as Prisma's does (lib/infra/db-overload.ts).
 */
export function postMessage(deps: WaveDeps & { sql: SqlPool }, caller: Caller, roomId: string, input: NewMessage): Promise<WaveMessage> {
  return change(deps, sqlTransaction(deps.sql, async (conn) => {
    const access = await readableRoom(conn, caller, roomId, { lock: true });
    requireOpen(access);
    requireMember(access, 'post');
    const mentions = [...new Set(input.mentions)];
    await checkMentions(conn, roomId, mentions);
    if (input.threadParentId) await checkThreadParent(conn, roomId, input.threadParentId);
    const now = new Date();
    const message: WaveMessage = {
      id: newId(),
      tenantId: caller.tenantId,
      roomId,
      seq: access.room.lastSeq + 1n,
      authorId: caller.userId,
      threadParentId: input.threadParentId ?? null,
      body: input.body,
      mentions,
      createdAt: now,
      editedAt: null,
      deletedAt: null,
      deletedById: null,
    };
    // The three writes pipelined, one round trip: a failure of any rolls back all (sqlTransaction).
    await Promise.all([
      advanceRoomSeq(conn, roomId, message.seq, now),
      insertMessage(conn, message),
      appendEvent(conn, 'message.posted', event(message, caller.userId)),
    ]);
    return message;
  }));
}

/** The message, in a room the caller may read (another tenant's, or a private room's to a non-member: not found). */
async function messageIn(db: Prisma.TransactionClient | WaveDeps['db'], access: RoomAccess, messageId: string): Promise<WaveMessage> {
  const message = await db.waveMessage.findFirst({ where: { id: messageId, roomId: access.room.id } });
  if (!message) throw notFound('message');
  return message;
}

export function editMessage(deps: WaveDeps, caller: Caller, roomId: string, messageId: string, body: string): Promise<WaveMessage> {
  return change(deps, deps.db.$transaction(async (tx) => {
    const access = await readableRoom(tx, caller, roomId, { lock: true });
    requireOpen(access);
    const message = await messageIn(tx, access, messageId);
    if (message.authorId !== caller.userId) throw new AppError('FORBIDDEN', 'only the author edits a message');
    if (message.deletedAt) throw new AppError('CONFLICT', 'the message was deleted');
    if (message.body === body) return message;
    const now = new Date();
    await tx.waveMessageRevision.create({
      data: { messageId, tenantId: message.tenantId, body: message.body, editedAt: now, editorId: caller.userId },
    });
    const edited = await tx.waveMessage.update({ where: { id: messageId }, data: { body, editedAt: now } });
    await appendEvent(tx, 'message.edited', event(edited, caller.userId));
    return edited;
  }));
}

/** Deleting leaves a tombstone; deleting a tombstone again changes nothing. */
export function deleteMessage(deps: WaveDeps, caller: Caller, roomId: string, messageId: string): Promise<WaveMessage> {
  return change(deps, deps.db.$transaction(async (tx) => {
    const access = await readableRoom(tx, caller, roomId, { lock: true });
    const message = await messageIn(tx, access, messageId);
    if (message.authorId !== caller.userId && !moderates(roleOf(access))) {
      throw new AppError('FORBIDDEN', "only the author or the room's owners and admins delete a message");
    }
    if (message.deletedAt) return message;
    await tx.waveMessageRevision.updateMany({ where: { messageId }, data: { body: null } });
    const deleted = await tx.waveMessage.update({
      where: { id: messageId },
      data: { body: null, mentions: [], deletedAt: new Date(), deletedById: caller.userId },
    });
    await appendEvent(tx, 'message.deleted', event(deleted, caller.userId));
    return deleted;
  }));
}

/** Adds or takes back a reaction; answers the message it is on, as the transaction read it. */
export function react(deps: WaveDeps, caller: Caller, roomId: string, messageId: string, emoji: string, on: boolean): Promise<WaveMessage> {
  return change(deps, deps.db.$transaction(async (tx) => {
    const access = await readableRoom(tx, caller, roomId, { lock: true });
    requireOpen(access);
    requireMember(access, 'react');
    const message = await messageIn(tx, access, messageId);
    if (message.deletedAt) throw new AppError('CONFLICT', 'the message was deleted');
    const key = { messageId_userId_emoji: { messageId, userId: caller.userId, emoji } };
    const existing = await tx.waveReaction.findUnique({ where: key });
    if (Boolean(existing) === on) return message;
    if (on) await tx.waveReaction.create({ data: { messageId, userId: caller.userId, emoji, tenantId: caller.tenantId } });
    else await tx.waveReaction.delete({ where: key });
    await appendEvent(tx, on ? 'reaction.added' : 'reaction.removed', { ...event(message, caller.userId), emoji });
    return message;
  }));
}

export type Page =
  | { before: bigint; limit: number }
  | { after: bigint; limit: number }
  | { around: string; limit: number }
  | { latest: true; limit: number };

interface MessagePage {
  messages: WaveMessage[];
  /** true when older messages exist before the first one */
  hasOlder: boolean;
  hasNewer: boolean;
}

/**
 * A page of the room's top-level messages in ascending order: the latest, or
 * those before or after a sequence number, or centred on one message. Read
 * through the driver (domains/wave/sql.ts); each side is read one past
 * the page, so the extra row says whether more lie that way, and only a side
 * the page did not read from needs a query of its own. The latest page has
 * nothing newer.
 */
export async function listMessages(sql: SqlPool, caller: Caller, roomId: string, page: Page): Promise<MessagePage> {
  await readableRoom(sql, caller, roomId);
  /** up to `take` messages on one side of `seq`, oldest first, and whether more lie beyond them */
  const side = async (dir: 'older' | 'newer', seq: bigint, take: number): Promise<{ messages: WaveMessage[]; more: boolean }> => {
    const found = await topLevelBeside(sql, roomId, dir, seq, take + 1);
    const more = found.length > take;
    const messages = found.slice(0, take);
    return { messages: dir === 'older' ? messages.reverse() : messages, more };
  };
  if ('around' in page) {
    const centre = await messageInRoom(sql, roomId, page.around);
    if (!centre) throw notFound('message');
    const half = Math.floor(page.limit / 2);
    const [older, newer] = [await side('older', centre.seq, half), await side('newer', centre.seq, page.limit - half - 1)];
    return { messages: [...older.messages, centre, ...newer.messages], hasOlder: older.more, hasNewer: newer.more };
  }
  if ('after' in page) {
    const newer = await side('newer', page.after, page.limit);
    const first = newer.messages[0]?.seq;
    return { messages: newer.messages, hasOlder: first !== undefined && (await topLevelBeyond(sql, roomId, 'older', first)), hasNewer: newer.more };
  }
  const older = await side('older', 'before' in page ? page.before : BigInt(Number.MAX_SAFE_INTEGER), page.limit);
  const last = older.messages.at(-1)?.seq;
  return { messages: older.messages, hasOlder: older.more, hasNewer: 'before' in page && last !== undefined && (await topLevelBeyond(sql, roomId, 'newer', last)) };
}

/** One message of a room the caller may read. */
export async function readMessage(deps: WaveDeps, caller: Caller, roomId: string, messageId: string): Promise<WaveMessage> {
  return messageIn(deps.db, await readableRoom(deps.db, caller, roomId), messageId);
}

/** A thread: its first message and the replies, in order. */
export async function readThread(deps: WaveDeps, caller: Caller, roomId: string, messageId: string): Promise<{ parent: WaveMessage; replies: WaveMessage[] }> {
  const access = await readableRoom(deps.db, caller, roomId);
  const parent = await messageIn(deps.db, access, messageId);
  if (parent.threadParentId) throw notFound('thread');
  const replies = await deps.db.waveMessage.findMany({ where: { roomId, threadParentId: messageId }, orderBy: { seq: 'asc' } });
  return { parent, replies };
}

/** Earlier texts of a message: for its author and the room's owners and admins only. */
export async function messageRevisions(deps: WaveDeps, caller: Caller, roomId: string, messageId: string): Promise<WaveMessageRevision[]> {
  const access = await readableRoom(deps.db, caller, roomId);
  const message = await messageIn(deps.db, access, messageId);
  if (message.authorId !== caller.userId && !moderates(roleOf(access))) {
    throw new AppError('FORBIDDEN', "only the author and the room's owners and admins read a message's history");
  }
  return deps.db.waveMessageRevision.findMany({ where: { messageId }, orderBy: { id: 'asc' } });
}

/** Reactions per message, counted by emoji (in the order they were first given), with whether the caller is among them. */
export async function reactionsOf(
  sql: SqlPool,
  callerId: string,
  messageIds: string[],
): Promise<Map<string, { emoji: string; count: number; mine: boolean }[]>> {
  const rows = await reactionRows(sql, messageIds);
  const byMessage = new Map<string, Map<string, { emoji: string; count: number; mine: boolean }>>();
  for (const r of rows) {
    const emojis = byMessage.get(r.message_id) ?? new Map();
    byMessage.set(r.message_id, emojis);
    const entry = emojis.get(r.emoji) ?? { emoji: r.emoji, count: 0, mine: false };
    entry.count += 1;
    entry.mine ||= r.user_id === callerId;
    emojis.set(r.emoji, entry);
  }
  return new Map([...byMessage].map(([id, emojis]) => [id, [...emojis.values()]]));
}
