import type { Caller } from '../auth/caller.js';
import type { Prisma, WaveRoom, WaveRoomMember } from '../generated/prisma/client.js';
import type { Db } from '../infra/db.js';
import { AppError, notFound } from '../errors.js';

// Who may do what in a room. A room the caller may not read is "not found",
// whether it is another tenant's or a private room of its own tenant: its
// existence is not the caller's business either.

export const ROOM_ROLES = ['owner', 'admin', 'member', 'guest'] as const;
export type RoomRole = (typeof ROOM_ROLES)[number];

export interface RoomAccess {
  room: WaveRoom;
  /** the caller's current membership (left_at null), if any */
  member: WaveRoomMember | null;
}

export const roleOf = (access: RoomAccess): RoomRole | null => (access.member ? (access.member.role as RoomRole) : null);
export const moderates = (role: RoomRole | null): boolean => role === 'owner' || role === 'admin';

type Reader = Db | Prisma.TransactionClient;

/** The room, if the caller may read it: a member reads any room; anyone of the tenant reads a public one. */
export async function readableRoom(db: Reader, caller: Caller, roomId: string): Promise<RoomAccess> {
  const room = await db.waveRoom.findFirst({ where: { id: roomId, tenantId: caller.tenantId } });
  if (!room) throw notFound('room');
  const member = await db.waveRoomMember.findFirst({ where: { roomId, userId: caller.userId, leftAt: null } });
  if (!member && room.visibility !== 'public') throw notFound('room');
  return { room, member };
}

/**
 * readableRoom, with the room's row locked for the transaction. Every change
 * to a room takes this lock first, so changes to one room commit one after
 * another: message sequence numbers have no gaps a reader could see filled
 * later, and the room's events reach the outbox in the order of commits.
 */
export async function lockedRoom(tx: Prisma.TransactionClient, caller: Caller, roomId: string): Promise<RoomAccess> {
  await tx.$queryRaw`SELECT id FROM wave_rooms WHERE id = ${roomId} AND tenant_id = ${caller.tenantId} FOR UPDATE`;
  return readableRoom(tx, caller, roomId);
}

/** The caller's role in the room; refused when not a member (reading a public room does not make one). */
export function requireMember(access: RoomAccess, action: string): RoomRole {
  const role = roleOf(access);
  if (!role) throw new AppError('FORBIDDEN', `join the room to ${action}`);
  return role;
}

export function requireModerator(access: RoomAccess, action: string): RoomRole {
  const role = requireMember(access, action);
  if (!moderates(role)) throw new AppError('FORBIDDEN', `only the room's owners and admins may ${action}`);
  return role;
}

export function requireOpen(access: RoomAccess): void {
  if (access.room.archivedAt) throw new AppError('CONFLICT', 'the room is archived');
}
