import type { WaveExport } from '../../lib/generated/prisma/client.js';
import { Prisma } from '../../lib/generated/prisma/client.js';
import type { Db } from '../../lib/infra/db.js';
import { SECTION } from './export-files.js';
import { BUNDLE_PATHS, type MediaRecord, type RoomFile, type UserRecord, type WarningRecord } from './format.js';
import { mediaPage } from './media-inventory.js';
import type { ExportRange } from './message-records.js';
import { stageFile, type StagingTarget } from './staging.js';

// room.json, media.jsonl and warnings.json: written after the messages and the
// media were gone through, because they describe what those steps found (every
// user the bundle mentions, which media made it in, what was left out).

const iso = (d: Date): string => d.toISOString();
const isoOrNull = (d: Date | null): string | null => (d ? iso(d) : null);

export const exportRange = (e: WaveExport): ExportRange => ({ tenantId: e.tenantId, roomId: e.roomId, since: e.since, until: e.until });

/** Every user the range mentions: members, authors, mentioned users, editors, deleters, reactors, media owners, whoever changed membership. */
async function referencedUserIds(db: Db, r: ExportRange): Promise<string[]> {
  const since = r.since ?? new Date(0);
  const rows = await db.$queryRaw<{ id: string }[]>(Prisma.sql`
    SELECT created_by_id AS id FROM wave_rooms WHERE id = ${r.roomId}
    UNION SELECT user_id FROM wave_room_members WHERE room_id = ${r.roomId}
    UNION SELECT user_id FROM wave_room_member_log WHERE room_id = ${r.roomId}
    UNION SELECT actor_id FROM wave_room_member_log WHERE room_id = ${r.roomId}
    UNION SELECT author_id FROM wave_messages WHERE room_id = ${r.roomId} AND created_at >= ${since} AND created_at < ${r.until}
    UNION SELECT j.user_id FROM wave_messages m,
      JSON_TABLE(m.mentions, '$[*]' COLUMNS (user_id CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin PATH '$')) j
      WHERE m.room_id = ${r.roomId} AND m.created_at >= ${since} AND m.created_at < ${r.until}
    UNION SELECT deleted_by_id FROM wave_messages WHERE room_id = ${r.roomId} AND created_at >= ${since} AND created_at < ${r.until} AND deleted_by_id IS NOT NULL
    UNION SELECT v.editor_id FROM wave_message_revisions v JOIN wave_messages m ON m.id = v.message_id
      WHERE m.room_id = ${r.roomId} AND m.created_at >= ${since} AND m.created_at < ${r.until}
    UNION SELECT x.user_id FROM wave_reactions x JOIN wave_messages m ON m.id = x.message_id
      WHERE m.room_id = ${r.roomId} AND m.created_at >= ${since} AND m.created_at < ${r.until}
    UNION SELECT owner_id FROM wave_media WHERE room_id = ${r.roomId} AND created_at >= ${since} AND created_at < ${r.until}
    ORDER BY id`);
  return rows.map((row) => row.id);
}

async function usersOf(db: Db, tenantId: string, ids: string[]): Promise<UserRecord[]> {
  const out: UserRecord[] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await db.user.findMany({ where: { tenantId, id: { in: ids.slice(i, i + 1000) } }, orderBy: { id: 'asc' } });
    for (const u of rows) out.push({ id: u.id, subject: u.scaikeySubject, displayName: u.displayName, email: u.email });
  }
  return out;
}

export async function roomFile(db: Db, e: WaveExport): Promise<RoomFile> {
  const room = await db.waveRoom.findUniqueOrThrow({ where: { id: e.roomId }, include: { workspace: true } });
  const [members, log, userIds] = await Promise.all([
    db.waveRoomMember.findMany({ where: { roomId: e.roomId }, orderBy: [{ joinedAt: 'asc' }, { userId: 'asc' }] }),
    db.waveRoomMemberLog.findMany({ where: { roomId: e.roomId }, orderBy: { id: 'asc' } }),
    referencedUserIds(db, exportRange(e)),
  ]);
  return {
    room: {
      id: room.id,
      kind: room.kind,
      visibility: room.visibility,
      name: room.name,
      topic: room.topic,
      createdById: room.createdById,
      createdAt: iso(room.createdAt),
      archivedAt: isoOrNull(room.archivedAt),
    },
    workspace: { id: room.workspace.id, slug: room.workspace.slug, name: room.workspace.name },
    members: members.map((m) => ({ userId: m.userId, role: m.role, joinedAt: iso(m.joinedAt), leftAt: isoOrNull(m.leftAt) })),
    membershipLog: log.map((l) => ({ userId: l.userId, action: l.action, role: l.role, actorId: l.actorId, at: iso(l.at) })),
    users: await usersOf(db, e.tenantId, userIds),
  };
}

/** One line per media item of the range, with its bundle path, or null when a warning says why it is not there. */
async function mediaLines(db: Db, e: WaveExport): Promise<string[]> {
  const files = await db.waveExportFile.findMany({ where: { exportId: e.id, section: SECTION.media }, select: { path: true } });
  // media/<id>/<name>
  const pathOf = new Map(files.map((f) => [f.path.split('/')[1], f.path]));
  const lines: string[] = [];
  for (let after: { createdAt: number; id: string } | null = null; ; ) {
    const page = await mediaPage(db, exportRange(e), after, 1000);
    if (page.length === 0) break;
    for (const m of page) {
      const record: MediaRecord = {
        id: m.id,
        ownerId: m.ownerId,
        fileName: m.fileName,
        contentType: m.contentType,
        bytes: Number(m.bytes),
        sha256: m.sha256,
        scanStatus: m.scanStatus,
        createdAt: iso(m.createdAt),
        path: pathOf.get(m.id) ?? null,
      };
      lines.push(`${JSON.stringify(record)}\n`);
    }
    const last = page.at(-1)!;
    after = { createdAt: last.createdAt.getTime(), id: last.id };
  }
  return lines;
}

async function warnings(db: Db, exportId: string): Promise<WarningRecord[]> {
  const rows = await db.waveExportWarning.findMany({ where: { exportId }, orderBy: { mediaId: 'asc' } });
  return rows.map((w) => ({ code: w.code as WarningRecord['code'], mediaId: w.mediaId, detail: w.detail }));
}

const json = (v: unknown): Buffer => Buffer.from(`${JSON.stringify(v, null, 2)}\n`, 'utf8');

/** Stages the three index files and counts what they list. */
export async function stageIndexFiles(t: StagingTarget, e: WaveExport): Promise<{ members: number; mediaCount: number; warnings: number }> {
  const room = await roomFile(t.db, e);
  await stageFile(t, { section: SECTION.room, idx: 0, path: BUNDLE_PATHS.room }, json(room));
  const media = await mediaLines(t.db, e);
  await stageFile(t, { section: SECTION.mediaIndex, idx: 0, path: BUNDLE_PATHS.media }, Buffer.from(media.join(''), 'utf8'));
  const w = await warnings(t.db, e.id);
  await stageFile(t, { section: SECTION.warnings, idx: 0, path: BUNDLE_PATHS.warnings }, json(w));
  return { members: room.members.length, mediaCount: media.length, warnings: w.length };
}
