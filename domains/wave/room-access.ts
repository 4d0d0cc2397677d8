import type { Caller } from '../../lib/auth/caller-identity.js';
import type { WaveRoom, WaveRoomMember } from '../../lib/generated/prisma/client.js';
import type { SqlOn } from '../../lib/infra/db.js';
import { AppError, notFound } from '../../lib/errors.js';
import { selectRoomAccess } from './sql.js';

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

/** Who may read a room: a member reads any room; anyone of the tenant reads a public one. */
function readable(room: WaveRoom | null, member: WaveRoomMember | null): RoomAccess {
  if (!room || (!member && room.visibility !== 'public')) throw notFound('room');
  return { room, member };
}

/**
 * The room, if the caller may read it: one query, whichever way the caller
 * reaches the database. `lock` is for a change: the room's row (and the
 * caller's membership row) locked for the transaction. Every change to a room
 * takes this lock first, so changes to one room commit one after another:
 * message sequence numbers have no gaps a reader could see filled later, and
 * the room's events reach the outbox in the order of commits.
 */
export async function readableRoom(reader: SqlOn, caller: Caller, roomId: string, opts: { lock?: boolean } = {}): Promise<RoomAccess> {
  const { room, member } = await selectRoomAccess(reader, caller, roomId, opts.lock ?? false);
  return readable(room, member);
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
