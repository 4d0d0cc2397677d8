import type { Db } from '../infra/db.js';
import type { MessageRecord } from './format.js';

// A room's messages as bundle records, read a page at a time by the keyset
// (created_at, id): ties on created_at are ordered by id, so no message is read
// twice or skipped whatever the page size, and a cursor saved after a page is
// all a resumed export needs.

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

export interface RecordPage {
  records: MessageRecord[];
  /** null when the page was empty: the range is done */
  last: MessageCursor | null;
}

const iso = (d: Date): string => d.toISOString();

export function rangeWhere(r: ExportRange) {
  return { tenantId: r.tenantId, roomId: r.roomId, createdAt: { ...(r.since ? { gte: r.since } : {}), lt: r.until } };
}

export async function readMessagePage(db: Db, range: ExportRange, after: MessageCursor | null, take: number): Promise<RecordPage> {
  const afterAt = after ? new Date(after.createdAt) : null;
  const rows = await db.waveMessage.findMany({
    where: {
      ...rangeWhere(range),
      ...(after && afterAt ? { OR: [{ createdAt: { gt: afterAt } }, { createdAt: afterAt, id: { gt: after.id } }] } : {}),
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take,
    include: {
      revisions: { orderBy: { id: 'asc' } },
      reactions: { orderBy: [{ createdAt: 'asc' }, { userId: 'asc' }, { emoji: 'asc' }] },
    },
  });
  const last = rows.at(-1);
  return {
    records: rows.map((m) => ({
      id: m.id,
      seq: Number(m.seq),
      authorId: m.authorId,
      createdAt: iso(m.createdAt),
      threadParentId: m.threadParentId,
      body: m.body,
      mentions: m.mentions as string[],
      editedAt: m.editedAt ? iso(m.editedAt) : null,
      revisions: m.revisions.map((r) => ({ body: r.body, editedAt: iso(r.editedAt), editorId: r.editorId })),
      deleted: m.deletedAt ? { at: iso(m.deletedAt), byId: m.deletedById ?? m.authorId } : null,
      reactions: m.reactions.map((r) => ({ userId: r.userId, emoji: r.emoji, at: iso(r.createdAt) })),
    })),
    last: last ? { createdAt: last.createdAt.getTime(), id: last.id } : null,
  };
}
