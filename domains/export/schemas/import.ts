import { z } from 'zod';
import type { Problem } from '../import-checks.js';
import { IMPORT_STATUSES, type ImportStatus } from '../imports.js';
import type { WaveImport } from '../../../lib/generated/prisma/client.js';

// A room import as callers see it (domains/export/imports.ts).

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

const problem = z.object({
  file: z.string().meta({ description: "the bundle's file, or (archive) for the archive as a whole" }),
  line: z.number().int().optional().meta({ description: 'in JSON Lines files, 1-based' }),
  problem: z.string(),
});

export const waveImport = z
  .object({
    id: z.string(),
    workspace_id: z.string(),
    status: z.enum(IMPORT_STATUSES).meta({
      description: 'verifying → restoring → completed; refused: the bundle failed verification and nothing was written; failed: a step gave up (see error)',
    }),
    room_id: z.string().nullable().meta({ description: 'the room restored into, once completed' }),
    source_room_id: z.string().nullable(),
    export_id: z.string().nullable(),
    signed: z.boolean().meta({ description: 'manifest.sig was present and holds' }),
    bundle_bytes: z.number().meta({ override: { type: 'integer' } }),
    bundle_sha256: z.string(),
    counts: z.object({
      messages: z.number().int().meta({ description: "the bundle's messages" }),
      messages_added: z.number().int(),
      messages_updated: z.number().int().meta({ description: 'already in the room, brought to the bundle’s state' }),
      messages_renamed: z.number().int().meta({ description: 'given a new id: another room of this deployment holds the original' }),
      members: z.number().int(),
      placeholders: z.number().int().meta({ description: 'users made for subjects unknown in the tenant' }),
      media: z.number().int(),
      media_added: z.number().int(),
      media_left_out: z.number().int().meta({ description: "listed by the bundle without the file (its warnings.json says why)" }),
    }),
    problems: z.array(problem).nullable().meta({ description: 'why the bundle was refused (at most a hundred)' }),
    error: z.string().nullable(),
    created_at: z.iso.datetime(),
    completed_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'WaveImport' });

export const importView = (i: WaveImport): z.input<typeof waveImport> => ({
  id: i.id,
  workspace_id: i.workspaceId,
  status: i.status as ImportStatus,
  room_id: i.status === 'completed' ? i.roomId : null,
  source_room_id: i.sourceRoomId,
  export_id: i.exportId,
  signed: i.signed,
  bundle_bytes: Number(i.bundleBytes),
  bundle_sha256: i.bundleSha256,
  counts: {
    messages: i.messagesTotal,
    messages_added: i.messagesAdded,
    messages_updated: i.messagesUpdated,
    messages_renamed: i.messagesRenamed,
    members: i.members,
    placeholders: i.placeholders,
    media: i.mediaTotal,
    media_added: i.mediaAdded,
    media_left_out: i.mediaLeftOut,
  },
  problems: (i.problems as Problem[] | null) ?? null,
  error: i.error,
  created_at: i.createdAt.toISOString(),
  completed_at: iso(i.completedAt),
});
