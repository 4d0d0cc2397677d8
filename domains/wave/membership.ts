import type { Caller } from '../../lib/auth/caller-identity.js';
import type { Prisma, WaveRoom, WaveRoomMember } from '../../lib/generated/prisma/client.js';
import { AppError, notFound } from '../../lib/errors.js';
import { change, type WaveDeps } from './change.js';
import type { WaveEventType } from './events.js';
import { appendEvent } from './outbox.js';
import { moderates, readableRoom, requireMember, requireModerator, requireOpen, type RoomRole } from './room-access.js';

// Joining, leaving, inviting and changing roles. Each change keeps the current
// row in wave_room_members (left_at set on leaving, cleared on rejoining), adds
// a line to wave_room_member_log, and announces itself on the room's events.

type MemberAction = 'joined' | 'left' | 'invited' | 'role_changed';

const EVENT: Record<MemberAction, WaveEventType> = {
  joined: 'member.joined',
  left: 'member.left',
  invited: 'member.invited',
  role_changed: 'member.role_changed',
};

/** Makes `userId` a current member with `role` (inserting or reviving the row), logged and announced. */
export async function admit(
  tx: Prisma.TransactionClient,
  actor: Caller,
  room: WaveRoom,
  userId: string,
  role: RoomRole,
  action: 'joined' | 'invited',
): Promise<WaveRoomMember> {
  const member = await tx.waveRoomMember.upsert({
    where: { roomId_userId: { roomId: room.id, userId } },
    create: { roomId: room.id, userId, tenantId: room.tenantId, role },
    update: { role, joinedAt: new Date(), leftAt: null },
  });
  await record(tx, actor, room, userId, action, role);
  return member;
}

async function record(tx: Prisma.TransactionClient, actor: Caller, room: WaveRoom, userId: string, action: MemberAction, role?: RoomRole): Promise<void> {
  await tx.waveRoomMemberLog.create({ data: { tenantId: room.tenantId, roomId: room.id, userId, action, role, actorId: actor.userId } });
  await appendEvent(tx, EVENT[action], { tenantId: room.tenantId, roomId: room.id, actorId: actor.userId, userId, role });
}

/** Joins a public room; a member already there stays as it is. */
export function joinRoom(deps: WaveDeps, caller: Caller, roomId: string): Promise<WaveRoomMember> {
  return change(deps, deps.db.$transaction(async (tx) => {
    const access = await readableRoom(tx, caller, roomId, { lock: true });
    requireOpen(access);
    if (access.member) return access.member;
    if (access.room.visibility !== 'public') throw notFound('room');
    return admit(tx, caller, access.room, caller.userId, 'member', 'joined');
  }));
}

/** Leaves a room; the last owner must hand the room on first, so a room is never left without one. */
export function leaveRoom(deps: WaveDeps, caller: Caller, roomId: string): Promise<void> {
  return change(deps, deps.db.$transaction(async (tx) => {
    const access = await readableRoom(tx, caller, roomId, { lock: true });
    const role = requireMember(access, 'leave it');
    if (role === 'owner' && (await tx.waveRoomMember.count({ where: { roomId, role: 'owner', leftAt: null } })) === 1) {
      throw new AppError('CONFLICT', 'the last owner cannot leave: make another member owner first');
    }
    await tx.waveRoomMember.update({ where: { roomId_userId: { roomId, userId: caller.userId } }, data: { leftAt: new Date() } });
    await record(tx, caller, access.room, caller.userId, 'left');
  }));
}

/** Active users of the caller's tenant, by id; anything else is "not found". */
async function tenantUser(tx: Prisma.TransactionClient, tenantId: string, userId: string): Promise<void> {
  const user = await tx.user.findFirst({ where: { id: userId, tenantId, status: 'active' }, select: { id: true } });
  if (!user) throw notFound('user');
}

/**
 * Invites a user of the tenant into the room. Members invite as member or
 * guest; owners and admins as any role but owner; guests invite nobody, and a
 * direct room holds its two people only.
 */
export function inviteMember(deps: WaveDeps, caller: Caller, roomId: string, userId: string, role: RoomRole): Promise<WaveRoomMember> {
  return change(deps, deps.db.$transaction(async (tx) => {
    const access = await readableRoom(tx, caller, roomId, { lock: true });
    requireOpen(access);
    const mine = requireMember(access, 'invite');
    if (mine === 'guest') throw new AppError('FORBIDDEN', 'guests cannot invite');
    if (access.room.kind === 'direct') throw new AppError('CONFLICT', 'a direct room holds its two people only');
    if (role === 'owner' || (!moderates(mine) && role === 'admin')) {
      throw new AppError('FORBIDDEN', `a room ${mine} cannot invite as ${role}`);
    }
    await tenantUser(tx, caller.tenantId, userId);
    const existing = await tx.waveRoomMember.findFirst({ where: { roomId, userId, leftAt: null } });
    if (existing) throw new AppError('CONFLICT', 'the user is already a member');
    return admit(tx, caller, access.room, userId, role, 'invited');
  }));
}

/** Changes a member's role: owners change anyone's; admins those of members and guests, up to admin. */
export function changeRole(deps: WaveDeps, caller: Caller, roomId: string, userId: string, role: RoomRole): Promise<WaveRoomMember> {
  return change(deps, deps.db.$transaction(async (tx) => {
    const access = await readableRoom(tx, caller, roomId, { lock: true });
    requireOpen(access);
    const mine = requireModerator(access, 'change roles');
    const target = await tx.waveRoomMember.findFirst({ where: { roomId, userId, leftAt: null } });
    if (!target) throw notFound('member');
    const theirs = target.role as RoomRole;
    if (mine === 'admin' && (moderates(theirs) || role === 'owner')) {
      throw new AppError('FORBIDDEN', 'admins change the roles of members and guests, up to admin');
    }
    if (theirs === 'owner' && role !== 'owner' && (await tx.waveRoomMember.count({ where: { roomId, role: 'owner', leftAt: null } })) === 1) {
      throw new AppError('CONFLICT', 'the room must keep an owner');
    }
    if (theirs === role) return target;
    const updated = await tx.waveRoomMember.update({ where: { roomId_userId: { roomId, userId } }, data: { role } });
    await record(tx, caller, access.room, userId, 'role_changed', role);
    return updated;
  }));
}

/** The room's current members, for those who may read it. */
export async function listMembers(deps: WaveDeps, caller: Caller, roomId: string): Promise<WaveRoomMember[]> {
  await readableRoom(deps.db, caller, roomId);
  return deps.db.waveRoomMember.findMany({ where: { roomId, leftAt: null }, orderBy: { joinedAt: 'asc' } });
}
