import type { Db } from '../../lib/infra/db.js';
import { requireTenant } from './admin/shared.js';
import { createWorkspace, listWorkspaces } from '../../domains/wave/workspaces.js';
import { withDb } from '../connections.js';
import { formatTable, notFound, print, printJson } from '../support.js';

// What `scaiwave workspace …` and `scaiwave room …` do (arguments and help: commands/wave.ts).

interface Json {
  json?: boolean;
}

const tenantId = async (db: Db, slug: string): Promise<string> => (await requireTenant(db, slug)).id;

export async function createWorkspaceCommand(slug: string, opts: Json & { tenant: string; name: string }): Promise<void> {
  const ws = await withDb(async ({ db }) => createWorkspace(db, await tenantId(db, opts.tenant), null, { slug, name: opts.name }));
  if (opts.json) return printJson({ id: ws.id, slug: ws.slug, name: ws.name, tenant: opts.tenant });
  print(`Created workspace "${ws.slug}" (${ws.name}) in tenant "${opts.tenant}"`, `Workspace id: ${ws.id}`);
}

export async function listWorkspacesCommand(opts: Json & { tenant: string }): Promise<void> {
  const rows = await withDb(async ({ db }) => {
    const tid = await tenantId(db, opts.tenant);
    const workspaces = await listWorkspaces(db, tid, { includeArchived: true });
    const rooms = await db.waveRoom.groupBy({ by: ['workspaceId'], where: { tenantId: tid }, _count: { _all: true } });
    const count = new Map(rooms.map((r) => [r.workspaceId, r._count._all]));
    return workspaces.map((w) => ({
      id: w.id,
      slug: w.slug,
      name: w.name,
      rooms: count.get(w.id) ?? 0,
      archived_at: w.archivedAt?.toISOString() ?? null,
      created_at: w.createdAt.toISOString(),
    }));
  });
  if (opts.json) return printJson(rows);
  print(...formatTable(['SLUG', 'NAME', 'ROOMS', 'ARCHIVED', 'ID'], rows.map((r) => [r.slug, r.name, String(r.rooms), r.archived_at ?? '-', r.id])));
}

export async function listRoomsCommand(opts: Json & { tenant: string; workspace?: string }): Promise<void> {
  const rows = await withDb(async ({ db }) => {
    const tid = await tenantId(db, opts.tenant);
    const ws = opts.workspace ? await db.waveWorkspace.findFirst({ where: { tenantId: tid, slug: opts.workspace } }) : null;
    if (opts.workspace && !ws) throw notFound(`workspace "${opts.workspace}" not found in tenant "${opts.tenant}"`);
    const rooms = await db.waveRoom.findMany({
      where: { tenantId: tid, ...(ws ? { workspaceId: ws.id } : {}) },
      include: { workspace: { select: { slug: true } }, _count: { select: { members: { where: { leftAt: null } } } } },
      orderBy: { createdAt: 'asc' },
    });
    return rooms.map((r) => ({
      id: r.id,
      workspace: r.workspace.slug,
      kind: r.kind,
      visibility: r.visibility,
      name: r.name,
      members: r._count.members,
      messages: Number(r.lastSeq),
      archived_at: r.archivedAt?.toISOString() ?? null,
    }));
  });
  if (opts.json) return printJson(rows);
  print(
    ...formatTable(
      ['WORKSPACE', 'NAME', 'KIND', 'VISIBILITY', 'MEMBERS', 'MESSAGES', 'ARCHIVED', 'ID'],
      rows.map((r) => [r.workspace, r.name ?? '(direct)', r.kind, r.visibility, String(r.members), String(r.messages), r.archived_at ?? '-', r.id]),
    ),
  );
}

export async function showRoomCommand(roomId: string, opts: Json): Promise<void> {
  const view = await withDb(async ({ db }) => {
    const room = await db.waveRoom.findUnique({ where: { id: roomId }, include: { workspace: { select: { slug: true, tenantId: true } } } });
    if (!room) throw notFound(`room "${roomId}" not found`);
    const members = await db.waveRoomMember.findMany({ where: { roomId, leftAt: null }, orderBy: { joinedAt: 'asc' } });
    const users = await db.user.findMany({ where: { id: { in: members.map((m) => m.userId) } }, select: { id: true, scaikeySubject: true } });
    const subject = new Map(users.map((u) => [u.id, u.scaikeySubject]));
    const last = await db.waveMessage.findFirst({ where: { roomId }, orderBy: { seq: 'desc' }, select: { createdAt: true } });
    return {
      id: room.id,
      workspace: room.workspace.slug,
      kind: room.kind,
      visibility: room.visibility,
      name: room.name,
      topic: room.topic,
      messages: Number(room.lastSeq),
      last_message_at: last?.createdAt.toISOString() ?? null,
      archived_at: room.archivedAt?.toISOString() ?? null,
      members: members.map((m) => ({ user_id: m.userId, subject: subject.get(m.userId) ?? null, role: m.role, joined_at: m.joinedAt.toISOString() })),
    };
  });
  if (opts.json) return printJson(view);
  print(
    `Room ${view.id}: ${view.name ?? '(direct)'} in workspace "${view.workspace}"`,
    `Kind:        ${view.kind} (${view.visibility})`,
    `Topic:       ${view.topic ?? '-'}`,
    `Messages:    ${view.messages} (last ${view.last_message_at ?? 'never'})`,
    `Archived:    ${view.archived_at ?? 'no'}`,
    'Members:',
    ...formatTable(['SUBJECT', 'ROLE', 'JOINED', 'USER ID'], view.members.map((m) => [m.subject ?? '?', m.role, m.joined_at, m.user_id])).map((l) => `  ${l}`),
  );
}
