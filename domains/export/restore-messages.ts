import type { Prisma } from '../../lib/generated/prisma/client.js';
import type { Db } from '../../lib/infra/db.js';
import type { MessageRecord } from './format.js';
import { assignedId, renamedMessageId } from './import-ids.js';
import { localUser, type UserMap } from './import-users.js';
import { NamedFailure } from '../../lib/temporal/failures.js';

// A batch of a bundle's messages written in one transaction, with their
// revisions and reactions, so a message present means all of it is present.
// Each keeps its id, time and sequence number; the id is replaced by one
// derived from the room and the original (domains/export/import-ids.ts) only when
// another room holds a message with it, and thread parents follow the same
// rule. A message already in the room is left alone when it matches the
// bundle (the same bundle again writes nothing) and is brought to the bundle's
// state when it does not (a later export: edited, deleted, reacted to since).
// The counts on the import row are raised by what the transaction did, so a
// batch repeated after a crash counts nothing twice.

interface MessageTarget {
  importId: string;
  tenantId: string;
  roomId: string;
}

export interface BatchOutcome {
  added: number;
  updated: number;
  renamed: number;
}

/** A bundle's message takes a sequence number a message posted here already has. */
export class SeqTakenError extends NamedFailure {
  override name = 'SeqTakenError';
  constructor(detail: string) {
    super('IMPORT_SEQ_TAKEN', detail, 'a message of the bundle takes a sequence number a message posted here already has');
  }
}

interface Rows {
  /** the id the bundle gave it */
  original: string;
  message: Prisma.WaveMessageCreateManyInput & { id: string; seq: bigint };
  revisions: Prisma.WaveMessageRevisionCreateManyInput[];
  reactions: Prisma.WaveReactionCreateManyInput[];
}

const TX = { timeout: 120_000, maxWait: 10_000 };

function rowsOf(m: MessageRecord, idOf: (original: string) => string, users: UserMap, t: MessageTarget): Rows {
  const id = idOf(m.id);
  return {
    original: m.id,
    message: {
      id,
      tenantId: t.tenantId,
      roomId: t.roomId,
      seq: BigInt(m.seq),
      authorId: localUser(users, m.authorId),
      threadParentId: m.threadParentId === null ? null : idOf(m.threadParentId),
      body: m.body,
      mentions: m.mentions.map((u) => localUser(users, u)),
      createdAt: new Date(m.createdAt),
      editedAt: m.editedAt === null ? null : new Date(m.editedAt),
      deletedAt: m.deleted === null ? null : new Date(m.deleted.at),
      deletedById: m.deleted === null ? null : localUser(users, m.deleted.byId),
    },
    revisions: m.revisions.map((r) => ({ messageId: id, tenantId: t.tenantId, body: r.body, editedAt: new Date(r.editedAt), editorId: localUser(users, r.editorId) })),
    reactions: m.reactions.map((r) => ({ messageId: id, userId: localUser(users, r.userId), emoji: r.emoji, tenantId: t.tenantId, createdAt: new Date(r.at) })),
  };
}

type When = Date | string | null | undefined;

/** What fingerprint compares: the stored rows and the bundle's rows both have this shape. */
interface Comparable {
  message: {
    authorId: string;
    threadParentId?: string | null;
    body?: string | null;
    mentions: unknown;
    createdAt?: When;
    editedAt?: When;
    deletedAt?: When;
    deletedById?: string | null;
  };
  revisions: { body?: string | null; editedAt: When; editorId: string }[];
  reactions: { userId: string; emoji: string; createdAt?: When }[];
}

const ms = (d: When): number | null => (d == null ? null : new Date(d).getTime());

/** What a message is, as one string: equal for the stored rows and the bundle's exactly when nothing differs. */
function fingerprint(r: Comparable): string {
  const m = r.message;
  const reactions = r.reactions.map((x) => JSON.stringify([x.userId, x.emoji, ms(x.createdAt)])).sort();
  return JSON.stringify([
    m.authorId,
    m.threadParentId ?? null,
    m.body ?? null,
    m.mentions,
    ms(m.createdAt),
    ms(m.editedAt),
    ms(m.deletedAt),
    m.deletedById ?? null,
    r.revisions.map((v) => [v.body ?? null, ms(v.editedAt), v.editorId]),
    reactions,
  ]);
}

async function storedFingerprints(tx: Prisma.TransactionClient, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const [messages, revisions, reactions] = await Promise.all([
    tx.waveMessage.findMany({ where: { id: { in: ids } } }),
    tx.waveMessageRevision.findMany({ where: { messageId: { in: ids } }, orderBy: { id: 'asc' } }),
    tx.waveReaction.findMany({ where: { messageId: { in: ids } } }),
  ]);
  const group = <T extends { messageId: string }>(rows: T[], id: string) => rows.filter((r) => r.messageId === id);
  return new Map(messages.map((m) => [m.id, fingerprint({ message: m, revisions: group(revisions, m.id), reactions: group(reactions, m.id) })]));
}

/** Where each candidate id is used now: id → room id. */
async function usage(tx: Prisma.TransactionClient, roomId: string, originals: string[]): Promise<Map<string, string>> {
  const candidates = originals.flatMap((id) => [id, renamedMessageId(roomId, id)]);
  const rows = await tx.waveMessage.findMany({ where: { id: { in: candidates } }, select: { id: true, roomId: true } });
  return new Map(rows.map((r) => [r.id, r.roomId]));
}

export async function restoreMessageBatch(db: Db, t: MessageTarget, users: UserMap, batch: MessageRecord[]): Promise<BatchOutcome> {
  return db.$transaction(async (tx) => {
    // Posts to the room wait, so a sequence number checked free here stays free until this commits.
    await tx.$queryRaw`SELECT id FROM wave_rooms WHERE id = ${t.roomId} FOR UPDATE`;
    const originals = [...new Set(batch.flatMap((m) => (m.threadParentId === null ? [m.id] : [m.id, m.threadParentId])))];
    const used = await usage(tx, t.roomId, originals);
    const idOf = (original: string) => assignedId(original, renamedMessageId(t.roomId, original), t.roomId, used);
    // A message twice in a batch (a bundle should never hold that) is taken as its last state.
    const rows = [...new Map(batch.map((m) => [m.id, rowsOf(m, idOf, users, t)])).values()];

    const present = rows.filter((r) => used.get(r.message.id) === t.roomId);
    const stored = await storedFingerprints(tx, present.map((r) => r.message.id));
    const changed = present.filter((r) => stored.get(r.message.id) !== fingerprint(r));
    for (const r of changed) {
      const { id, seq: _seq, tenantId: _t, roomId: _r, ...state } = r.message;
      await tx.waveMessageRevision.deleteMany({ where: { messageId: id } });
      await tx.waveReaction.deleteMany({ where: { messageId: id } });
      await tx.waveMessage.update({ where: { id }, data: state });
    }

    const fresh = rows.filter((r) => used.get(r.message.id) !== t.roomId);
    if (fresh.length > 0) {
      const taken = await tx.waveMessage.findFirst({ where: { roomId: t.roomId, seq: { in: fresh.map((r) => r.message.seq) } }, select: { seq: true } });
      if (taken) throw new SeqTakenError(`sequence number ${taken.seq} of the room is taken by a message posted here since the room was imported`);
      await tx.waveMessage.createMany({ data: fresh.map((r) => r.message) });
    }
    const written = [...changed, ...fresh];
    const revisions = written.flatMap((r) => r.revisions);
    const reactions = written.flatMap((r) => r.reactions);
    // In the bundle's order, so the revisions' ids keep them oldest first.
    if (revisions.length > 0) await tx.waveMessageRevision.createMany({ data: revisions });
    if (reactions.length > 0) await tx.waveReaction.createMany({ data: reactions });

    const maxSeq = rows.reduce((max, r) => (r.message.seq > max ? r.message.seq : max), 0n);
    await tx.$executeRaw`UPDATE wave_rooms SET last_seq = GREATEST(last_seq, ${maxSeq}) WHERE id = ${t.roomId}`;
    const outcome = { added: fresh.length, updated: changed.length, renamed: fresh.filter((r) => r.message.id !== r.original).length };
    if (outcome.added + outcome.updated > 0) {
      await tx.waveImport.update({
        where: { id: t.importId },
        data: { messagesAdded: { increment: outcome.added }, messagesUpdated: { increment: outcome.updated }, messagesRenamed: { increment: outcome.renamed } },
      });
    }
    return outcome;
  }, TX);
}
