import type { Db } from '../../lib/infra/db.js';
import type { WaveLegalHold } from '../../lib/generated/prisma/client.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/infra/ids.js';

// A legal hold keeps data as it is while litigation or an investigation needs
// it: while one applies, an erasure of the data it covers waits
// (domains/erasure/workflows.ts) and the retention purge leaves it
// (domains/retention/). Exports are unaffected: they include held data. A hold
// covers a user (their messages, files, jobs, voices), a room (everything in
// it), or the whole tenant. The row is the record: never deleted, released once.

export const HOLD_SCOPES = ['user', 'room', 'tenant'] as const;
export type HoldScope = (typeof HOLD_SCOPES)[number];

/** Who acts: a compliance officer, or (userId null) an operator through the CLI. */
export interface HoldActor {
  tenantId: string;
  userId: string | null;
}

async function assertTarget(db: Db, tenantId: string, scope: HoldScope, targetId: string): Promise<void> {
  const exists =
    scope === 'tenant'
      ? targetId === tenantId
      : scope === 'user'
        ? (await db.user.count({ where: { id: targetId, tenantId, status: { not: 'erased' } } })) > 0
        : (await db.waveRoom.count({ where: { id: targetId, tenantId } })) > 0;
  if (!exists) throw notFound(scope);
}

export async function placeHold(db: Db, by: HoldActor, hold: { scope: HoldScope; targetId?: string; reason: string }): Promise<WaveLegalHold> {
  const targetId = hold.scope === 'tenant' ? (hold.targetId ?? by.tenantId) : hold.targetId;
  if (targetId === undefined) throw new AppError('VALIDATION_ERROR', `a ${hold.scope} hold needs target_id`);
  await assertTarget(db, by.tenantId, hold.scope, targetId);
  return db.waveLegalHold.create({ data: { id: newId(), tenantId: by.tenantId, scope: hold.scope, targetId, reason: hold.reason, placedById: by.userId } });
}

/** Releases a hold; releasing one already released answers it as it is (its release stays the first). */
export async function releaseHold(db: Db, by: HoldActor, holdId: string): Promise<WaveLegalHold> {
  const hold = await findHold(db, by.tenantId, holdId);
  if (hold.releasedAt) return hold;
  await db.waveLegalHold.updateMany({ where: { id: holdId, releasedAt: null }, data: { releasedAt: new Date(), releasedById: by.userId } });
  return findHold(db, by.tenantId, holdId);
}

export async function findHold(db: Db, tenantId: string, holdId: string): Promise<WaveLegalHold> {
  const hold = await db.waveLegalHold.findFirst({ where: { id: holdId, tenantId } });
  if (!hold) throw notFound('hold');
  return hold;
}

export function listHolds(db: Db, tenantId: string, opts: { activeOnly: boolean; limit: number }): Promise<WaveLegalHold[]> {
  return db.waveLegalHold.findMany({
    where: { tenantId, ...(opts.activeOnly && { releasedAt: null }) },
    orderBy: [{ placedAt: 'desc' }, { id: 'desc' }],
    take: opts.limit,
  });
}

/**
 * The holds that keep a user's data: on the tenant, on the user (under any of
 * the ids they go by), or on a room they were ever a member of. Ids only.
 */
export async function holdsOnUser(db: Db, tenantId: string, userIds: string[]): Promise<string[]> {
  const rooms = await db.waveRoomMemberLog.findMany({ where: { tenantId, userId: { in: userIds } }, select: { roomId: true }, distinct: ['roomId'] });
  const holds = await db.waveLegalHold.findMany({
    where: {
      tenantId,
      releasedAt: null,
      OR: [
        { scope: 'tenant', targetId: tenantId },
        { scope: 'user', targetId: { in: userIds } },
        { scope: 'room', targetId: { in: rooms.map((r) => r.roomId) } },
      ],
    },
    select: { id: true },
    orderBy: { id: 'asc' },
  });
  return holds.map((h) => h.id);
}

/** What the retention purge must leave in a tenant: all of it, or the data of these users. */
export async function retentionHolds(db: Db, tenantId: string): Promise<{ tenantHeld: boolean; heldUserIds: string[] }> {
  const holds = await db.waveLegalHold.findMany({ where: { tenantId, releasedAt: null, scope: { in: ['tenant', 'user'] } }, select: { scope: true, targetId: true } });
  return { tenantHeld: holds.some((h) => h.scope === 'tenant'), heldUserIds: holds.filter((h) => h.scope === 'user').map((h) => h.targetId) };
}

export const holdView = (h: WaveLegalHold) => ({
  hold_id: h.id,
  scope: h.scope as HoldScope,
  target_id: h.targetId,
  reason: h.reason,
  placed_by_id: h.placedById,
  placed_at: h.placedAt.toISOString(),
  released_by_id: h.releasedById,
  released_at: h.releasedAt?.toISOString() ?? null,
  active: h.releasedAt === null,
});
