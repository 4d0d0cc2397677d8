import type { Db } from '../../lib/infra/db.js';
import { requestExport } from './exports.js';

// Scheduled compliance exports, as Mattermost's daily compliance job does them
// but resumable: each room has a cursor, the `until` of its last scheduled
// export that completed. A run exports every room's [cursor, until) where
// `until` is the end of the last whole period (a day by default), so a run
// that was missed, or a room whose export failed, is caught up by the next
// run in one bundle from where it stopped. Rooms with nothing new in the
// period get no bundle; their cursor just moves on.

const ROOMS_PER_PAGE = 100;

/** The end of the last whole period before `now`: periods are aligned to the epoch (days start at 00:00 UTC). */
export const periodEnd = (now: number, periodMs: number): number => Math.floor(now / periodMs) * periodMs;

export interface PlannedExport {
  roomId: string;
  exportId: string;
}

export interface CompliancePage {
  exports: PlannedExport[];
  /** rooms with nothing new in the period, whose cursor moved on without a bundle */
  quiet: number;
  /** rooms whose export of this period had completed already (an earlier run): their cursor moved on */
  alreadyExported: number;
  /** where the next page starts; null: every room is planned */
  nextRoomId: string | null;
}

async function hasContent(db: Db, roomId: string, since: Date | null, until: Date): Promise<boolean> {
  const createdAt = { ...(since ? { gte: since } : {}), lt: until };
  const [message, media] = await Promise.all([
    db.waveMessage.findFirst({ where: { roomId, createdAt }, select: { id: true } }),
    db.waveMedia.findFirst({ where: { roomId, createdAt }, select: { id: true } }),
  ]);
  return message !== null || media !== null;
}

/**
 * One page of the tenant's rooms, each given its scheduled export of
 * [cursor, until): the one asked for by an earlier attempt of this run if
 * there is one (so a repeated page starts nothing twice), else a new one.
 */
export async function planCompliancePage(db: Db, tenantId: string, until: Date, afterRoomId: string | null): Promise<CompliancePage> {
  const rooms = await db.waveRoom.findMany({
    where: { tenantId, createdAt: { lt: until }, ...(afterRoomId ? { id: { gt: afterRoomId } } : {}) },
    orderBy: { id: 'asc' },
    take: ROOMS_PER_PAGE,
    select: { id: true, complianceCursor: true },
  });
  const page: CompliancePage = { exports: [], quiet: 0, alreadyExported: 0, nextRoomId: rooms.length === ROOMS_PER_PAGE ? rooms.at(-1)!.id : null };
  for (const room of rooms) {
    const since = room.complianceCursor?.exportedUntil ?? null;
    if (since && since >= until) continue;
    if (!(await hasContent(db, room.id, since, until))) {
      await advanceCursor(db, { tenantId, roomId: room.id, until, exportId: null });
      page.quiet++;
      continue;
    }
    const asked = await db.waveExport.findFirst({
      where: { roomId: room.id, kind: 'scheduled', until, status: { in: ['running', 'completed'] } },
      select: { id: true, status: true },
    });
    if (asked?.status === 'completed') {
      await advanceCursor(db, { tenantId, roomId: room.id, until, exportId: asked.id });
      page.alreadyExported++;
      continue;
    }
    const exportId = asked?.id ?? (await requestExport(db, { tenantId, kind: 'scheduled' }, room.id, { since: since ?? undefined, until })).id;
    page.exports.push({ roomId: room.id, exportId });
  }
  return page;
}

/** After a room's export completed (or it had nothing to export): the next run starts at `until`. Never moves back. */
export async function advanceCursor(db: Db, c: { tenantId: string; roomId: string; until: Date; exportId: string | null }): Promise<void> {
  const data = { exportedUntil: c.until, exportId: c.exportId, updatedAt: new Date() };
  const moved = await db.waveComplianceCursor.updateMany({ where: { roomId: c.roomId, exportedUntil: { lt: c.until } }, data });
  if (moved.count === 0) await db.waveComplianceCursor.createMany({ data: [{ roomId: c.roomId, tenantId: c.tenantId, ...data }], skipDuplicates: true });
}
