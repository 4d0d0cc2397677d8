import type { Connection } from 'mariadb';
import type { Caller } from '../../lib/auth/caller-identity.js';
import type { Prisma, WaveRoom, WaveRoomMember } from '../../lib/generated/prisma/client.js';
import type { Db, SqlPool } from '../../lib/infra/db.js';
import { AppError, notFound } from '../../lib/errors.js';

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

/** Where a room's access is read: Prisma (a change's transaction), or the driver (reads, and the changes made through it). */
type Reader = Db | Prisma.TransactionClient | SqlPool | Connection;

/** Who may read a room: a member reads any room; anyone of the tenant reads a public one. */
function readable(room: WaveRoom | null, member: WaveRoomMember | null): RoomAccess {
  if (!room || (!member && room.visibility !== 'public')) throw notFound('room');
  return { room, member };
}

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

const accessRows = (reader: Reader, sql: string, params: string[]): Promise<AccessRow[]> =>
  '$queryRawUnsafe' in reader ? reader.$queryRawUnsafe<AccessRow[]>(sql, ...params) : reader.query<AccessRow[]>(sql, params);

/**
 * The room, if the caller may read it: one query, whichever way the caller
 * reaches the database. `lock` is for a change: the room's row (and the
 * caller's membership row) locked for the transaction. Every change to a room
 * takes this lock first, so changes to one room commit one after another:
 * message sequence numbers have no gaps a reader could see filled later, and
 * the room's events reach the outbox in the order of commits.
 */
export async function readableRoom(reader: Reader, caller: Caller, roomId: string, opts: { lock?: boolean } = {}): Promise<RoomAccess> {
  const [r] = await accessRows(reader, opts.lock ? `${ACCESS_SQL} FOR UPDATE` : ACCESS_SQL, [caller.userId, roomId, caller.tenantId]);
  const room: WaveRoom | null = r
    ? {
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
      }
    : null;
  const member: WaveRoomMember | null =
    r && r.member_role !== null
      ? { roomId: r.id, userId: caller.userId, tenantId: r.member_tenant_id!, role: r.member_role, joinedAt: r.member_joined_at!, leftAt: null }
      : null;
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
