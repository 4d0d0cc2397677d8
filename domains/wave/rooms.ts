import type { Caller } from '../../lib/auth/caller-identity.js';
import type { WaveRoom } from '../../lib/generated/prisma/client.js';
import type { SqlPool } from '../../lib/infra/db.js';
import { newId } from '../../lib/infra/ids.js';
import { AppError, notFound } from '../../lib/errors.js';
import { change, type WaveDeps } from './change.js';
import { admit } from './membership.js';
import { appendEvent } from './outbox.js';
import { readableRoom, requireModerator } from './room-access.js';

// Rooms: channels (public or private), private groups, and direct rooms of two
// people. The creator owns what it creates; a direct room has two members and
// no owner to add a third.

export const ROOM_KINDS = ['channel', 'group', 'direct'] as const;
type RoomKind = (typeof ROOM_KINDS)[number];

interface NewRoom {
  kind: RoomKind;
  name?: string;
  topic?: string;
  /** channels only; groups and direct rooms are private */
  visibility?: 'public' | 'private';
  /** direct rooms: the other person */
  withUserId?: string;
}

export function createRoom(deps: WaveDeps, caller: Caller, workspaceId: string, input: NewRoom): Promise<WaveRoom> {
  return change(deps, deps.db.$transaction(async (tx) => {
    const ws = await tx.waveWorkspace.findFirst({ where: { id: workspaceId, tenantId: caller.tenantId } });
    if (!ws) throw notFound('workspace');
    if (ws.archivedAt) throw new AppError('CONFLICT', 'the workspace is archived');
    if (input.kind === 'direct') {
      if (!input.withUserId) throw new AppError('VALIDATION_ERROR', 'with_user_id: a direct room needs the other person');
      if (input.withUserId === caller.userId) throw new AppError('VALIDATION_ERROR', 'with_user_id: a direct room is between two people');
      const other = await tx.user.findFirst({ where: { id: input.withUserId, tenantId: caller.tenantId, status: 'active' } });
      if (!other) throw notFound('user');
    } else if (!input.name) {
      throw new AppError('VALIDATION_ERROR', 'name: a channel or group needs a name');
    }
    const room = await tx.waveRoom.create({
      data: {
        id: newId(),
        tenantId: caller.tenantId,
        workspaceId,
        kind: input.kind,
        visibility: input.kind === 'channel' ? (input.visibility ?? 'public') : 'private',
        name: input.name ?? null,
        topic: input.topic ?? null,
        createdById: caller.userId,
      },
    });
    await appendEvent(tx, 'room.created', { tenantId: room.tenantId, roomId: room.id, actorId: caller.userId });
    if (input.kind === 'direct') {
      await admit(tx, caller, room, caller.userId, 'member', 'joined');
      await admit(tx, caller, room, input.withUserId!, 'member', 'invited');
    } else {
      await admit(tx, caller, room, caller.userId, 'owner', 'joined');
    }
    return room;
  }));
}

/** The workspace's rooms the caller may read: public ones, and those it is a member of. */
export async function listRooms(deps: WaveDeps, caller: Caller, workspaceId: string, opts: { includeArchived: boolean }): Promise<WaveRoom[]> {
  const ws = await deps.db.waveWorkspace.findFirst({ where: { id: workspaceId, tenantId: caller.tenantId }, select: { id: true } });
  if (!ws) throw notFound('workspace');
  return deps.db.waveRoom.findMany({
    where: {
      tenantId: caller.tenantId,
      workspaceId,
      ...(opts.includeArchived ? {} : { archivedAt: null }),
      OR: [{ visibility: 'public' }, { members: { some: { userId: caller.userId, leftAt: null } } }],
    },
    orderBy: { createdAt: 'asc' },
  });
}

export async function getRoom(sql: SqlPool, caller: Caller, roomId: string): Promise<WaveRoom> {
  return (await readableRoom(sql, caller, roomId)).room;
}

/** Owners and admins archive a room: it stays readable, and takes no more posts, joins or invitations. */
export function archiveRoom(deps: WaveDeps, caller: Caller, roomId: string): Promise<WaveRoom> {
  return change(deps, deps.db.$transaction(async (tx) => {
    const access = await readableRoom(tx, caller, roomId, { lock: true });
    requireModerator(access, 'archive the room');
    if (access.room.archivedAt) return access.room;
    const room = await tx.waveRoom.update({ where: { id: roomId }, data: { archivedAt: new Date() } });
    await appendEvent(tx, 'room.archived', { tenantId: room.tenantId, roomId, actorId: caller.userId });
    return room;
  }));
}
