import { z } from 'zod';
import type { WaveMedia, WaveMessage, WaveMessageRevision, WaveRoom, WaveRoomMember, WaveWorkspace } from '../../lib/generated/prisma/client.js';
import { MEDIA_STATUSES } from './media.js';
import { ROOM_KINDS } from './rooms.js';
import { ROOM_ROLES } from './room-access.js';

// ScaiWave objects as callers see them, and the one function per object that
// turns a row into that shape.

/** An id in a path or body: opaque, compared byte for byte; nothing we hand out is longer. */
export const waveId = (what: string) => z.string().min(1).max(64).meta({ description: what });
export const roomParams = z.object({ roomId: waveId('the room id') });

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;
// Not .int(): zod's integers stop at 2^53, a size need not.
const bigCount = z.number().meta({ override: { type: 'integer' } });

export const workspace = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    created_by: z.string().nullable().meta({ description: 'null: made by an operator at the CLI' }),
    archived_at: z.iso.datetime().nullable(),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'WaveWorkspace' });

export const workspaceView = (w: WaveWorkspace): z.input<typeof workspace> => ({
  id: w.id,
  slug: w.slug,
  name: w.name,
  created_by: w.createdById,
  archived_at: iso(w.archivedAt),
  created_at: w.createdAt.toISOString(),
});

export const room = z
  .object({
    id: z.string(),
    workspace_id: z.string(),
    kind: z.enum(ROOM_KINDS),
    visibility: z.enum(['public', 'private']),
    name: z.string().nullable(),
    topic: z.string().nullable(),
    created_by: z.string(),
    archived_at: z.iso.datetime().nullable(),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'WaveRoom' });

export const roomView = (r: WaveRoom): z.input<typeof room> => ({
  id: r.id,
  workspace_id: r.workspaceId,
  kind: r.kind as z.input<typeof room>['kind'],
  visibility: r.visibility as 'public' | 'private',
  name: r.name,
  topic: r.topic,
  created_by: r.createdById,
  archived_at: iso(r.archivedAt),
  created_at: r.createdAt.toISOString(),
});

export const member = z
  .object({ room_id: z.string(), user_id: z.string(), role: z.enum(ROOM_ROLES), joined_at: z.iso.datetime() })
  .meta({ id: 'WaveRoomMember' });

export const memberView = (m: WaveRoomMember): z.input<typeof member> => ({
  room_id: m.roomId,
  user_id: m.userId,
  role: m.role as z.input<typeof member>['role'],
  joined_at: m.joinedAt.toISOString(),
});

const reaction = z.object({ emoji: z.string(), count: z.number().int(), mine: z.boolean().meta({ description: 'the caller reacted so' }) });

export const message = z
  .object({
    id: z.string(),
    room_id: z.string(),
    seq: z.string().meta({ description: "the message's place in its room, 1, 2, 3…: the pagination cursor" }),
    author_id: z.string(),
    thread_parent_id: z.string().nullable(),
    body: z.string().nullable().meta({ description: 'null once deleted' }),
    mentions: z.array(z.string()),
    created_at: z.iso.datetime(),
    edited_at: z.iso.datetime().nullable(),
    deleted: z.object({ at: z.iso.datetime(), by: z.string() }).nullable().meta({ description: 'the tombstone of a deleted message' }),
    reactions: z.array(reaction),
  })
  .meta({ id: 'WaveMessage' });

export type Reactions = Map<string, z.input<typeof reaction>[]>;

export const messageView = (m: WaveMessage, reactions: Reactions = new Map()): z.input<typeof message> => ({
  id: m.id,
  room_id: m.roomId,
  seq: m.seq.toString(),
  author_id: m.authorId,
  thread_parent_id: m.threadParentId,
  body: m.body,
  mentions: m.mentions as string[],
  created_at: m.createdAt.toISOString(),
  edited_at: iso(m.editedAt),
  deleted: m.deletedAt ? { at: m.deletedAt.toISOString(), by: m.deletedById ?? '' } : null,
  reactions: reactions.get(m.id) ?? [],
});

export const revision = z
  .object({ body: z.string().nullable().meta({ description: 'the text before the edit; null once the message was deleted' }), replaced_at: z.iso.datetime(), editor_id: z.string() })
  .meta({ id: 'WaveMessageRevision' });

export const revisionView = (r: WaveMessageRevision): z.input<typeof revision> => ({
  body: r.body,
  replaced_at: r.editedAt.toISOString(),
  editor_id: r.editorId,
});

export const media = z
  .object({
    id: z.string(),
    room_id: z.string(),
    owner_id: z.string(),
    file_name: z.string().nullable(),
    bytes: bigCount,
    sha256: z.string(),
    content_type: z.string().meta({ description: 'sniffed from the bytes, not taken from the upload' }),
    scan_status: z.enum(MEDIA_STATUSES).meta({
      description: 'pending_scan until clamd has looked; clean and unscanned (scanning is off in this deployment) may be downloaded',
    }),
    scanned_at: z.iso.datetime().nullable(),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'WaveMedia' });

export const mediaView = (m: WaveMedia): z.input<typeof media> => ({
  id: m.id,
  room_id: m.roomId,
  owner_id: m.ownerId,
  file_name: m.fileName,
  bytes: Number(m.bytes),
  sha256: m.sha256,
  content_type: m.contentType,
  scan_status: m.scanStatus as z.input<typeof media>['scan_status'],
  scanned_at: iso(m.scannedAt),
  created_at: m.createdAt.toISOString(),
});
