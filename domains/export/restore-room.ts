import type { Prisma } from '../../lib/generated/prisma/client.js';
import type { Db } from '../../lib/infra/db.js';
import { appendEvent } from '../wave/outbox.js';
import type { RoomFile } from './format.js';
import { localUser, type UserMap } from './import-users.js';

// The room of an import, its members and their history, as room.json has
// them, in one transaction. The room's id is derived from the workspace and
// the source room (domains/export/import-ids.ts): a later bundle of the same room
// brings it up to that bundle's state, and the same bundle again changes
// nothing (rows are written only where they differ). Members who arrive are
// announced (member.joined), so their clients and the event log learn of the
// room as they would of any room they were invited to; history lines already
// present are not added twice.

interface ImportedRoom {
  importId: string;
  tenantId: string;
  workspaceId: string;
  roomId: string;
  /** who the room's events name as their actor: the importing user, or for the CLI the room's creator */
  actorId: string | null;
}

const time = (iso: string | null): Date | null => (iso === null ? null : new Date(iso));
const same = (a: Date | null, b: Date | null): boolean => (a?.getTime() ?? null) === (b?.getTime() ?? null);

async function upsertRoom(tx: Prisma.TransactionClient, t: ImportedRoom, file: RoomFile, users: UserMap, actorId: string): Promise<void> {
  const r = file.room;
  const state = { kind: r.kind, visibility: r.visibility, name: r.name, topic: r.topic, archivedAt: time(r.archivedAt) };
  const existing = await tx.waveRoom.findUnique({ where: { id: t.roomId } });
  if (!existing) {
    await tx.waveRoom.create({
      data: { id: t.roomId, tenantId: t.tenantId, workspaceId: t.workspaceId, ...state, createdById: localUser(users, r.createdById), createdAt: new Date(r.createdAt) },
    });
    await appendEvent(tx, 'room.created', { tenantId: t.tenantId, roomId: t.roomId, actorId });
    return;
  }
  const differs =
    existing.kind !== state.kind || existing.visibility !== state.visibility || existing.name !== state.name || existing.topic !== state.topic || !same(existing.archivedAt, state.archivedAt);
  if (differs) await tx.waveRoom.update({ where: { id: t.roomId }, data: state });
}

async function restoreMembers(tx: Prisma.TransactionClient, t: ImportedRoom, file: RoomFile, users: UserMap, actorId: string): Promise<void> {
  const present = new Map((await tx.waveRoomMember.findMany({ where: { roomId: t.roomId } })).map((m) => [m.userId, m]));
  for (const m of file.members) {
    const userId = localUser(users, m.userId);
    const state = { role: m.role, joinedAt: new Date(m.joinedAt), leftAt: time(m.leftAt) };
    const row = present.get(userId);
    if (!row) {
      present.set(userId, await tx.waveRoomMember.create({ data: { roomId: t.roomId, userId, tenantId: t.tenantId, ...state } }));
      if (state.leftAt === null) await appendEvent(tx, 'member.joined', { tenantId: t.tenantId, roomId: t.roomId, actorId, userId, role: m.role });
    } else if (row.role !== state.role || !same(row.joinedAt, state.joinedAt) || !same(row.leftAt, state.leftAt)) {
      present.set(userId, await tx.waveRoomMember.update({ where: { roomId_userId: { roomId: t.roomId, userId } }, data: state }));
    }
  }
}

async function restoreMemberLog(tx: Prisma.TransactionClient, t: ImportedRoom, file: RoomFile, users: UserMap): Promise<void> {
  const key = (l: { userId: string; action: string; role: string | null; actorId: string; at: Date }) =>
    `${l.userId}\n${l.action}\n${l.role ?? ''}\n${l.actorId}\n${l.at.getTime()}`;
  const logged = new Set((await tx.waveRoomMemberLog.findMany({ where: { roomId: t.roomId } })).map(key));
  const rows = file.membershipLog
    .map((l) => ({ tenantId: t.tenantId, roomId: t.roomId, userId: localUser(users, l.userId), action: l.action, role: l.role, actorId: localUser(users, l.actorId), at: new Date(l.at) }))
    .filter((l) => {
      const k = key(l);
      if (logged.has(k)) return false;
      logged.add(k);
      return true;
    });
  if (rows.length > 0) await tx.waveRoomMemberLog.createMany({ data: rows });
}

/** The room, its members and their history; the import row learns the room and its member count. */
export async function restoreRoom(db: Db, t: ImportedRoom, file: RoomFile, users: UserMap): Promise<void> {
  const actorId = t.actorId ?? localUser(users, file.room.createdById);
  await db.$transaction(
    async (tx) => {
      await upsertRoom(tx, t, file, users, actorId);
      // Posts and other imports of this room wait: the room's changes commit one after another.
      await tx.$queryRaw`SELECT id FROM wave_rooms WHERE id = ${t.roomId} FOR UPDATE`;
      await restoreMembers(tx, t, file, users, actorId);
      await restoreMemberLog(tx, t, file, users);
      await tx.waveImport.update({ where: { id: t.importId }, data: { members: file.members.length } });
    },
    { timeout: 120_000, maxWait: 10_000 },
  );
}
