import { z } from 'zod';

// The room bundle's records, as written by the export and read back by `export
// verify` and the import. docs/export-format.md is their prose; a change here is
// a format change: bump FORMAT_VERSION and keep reading the old one.
//
// A bundle is a POSIX ustar archive (domains/export/tar.ts), entries in this order:
//   manifest.json            what is in the bundle and the sha256 of every other file
//   manifest.sig             only when the deployment signs: Ed25519 over the manifest's canonical bytes
//   room.json                the room, its workspace, members, membership history, every user referenced
//   messages/NNNNNN.jsonl.gz messages in (created_at, id) order, one JSON object per line, gzip'd
//   media.jsonl              every media item of the range, with its bundle path or null when left out
//   media/<media id>/<name>  the files themselves, as uploaded
//   warnings.json            everything that could not be included, and why
// manifest.json comes first so a reader streaming the archive knows every
// expected hash before it meets the file.

export const FORMAT = 'scaiwave.room-export';
export const FORMAT_VERSION = 1;

export const BUNDLE_PATHS = {
  manifest: 'manifest.json',
  signature: 'manifest.sig',
  room: 'room.json',
  media: 'media.jsonl',
  warnings: 'warnings.json',
} as const;

/** 1-based, six digits: `ls` lists the chunks in message order. */
export const messageChunkPath = (n: number): string => `messages/${String(n).padStart(6, '0')}.jsonl.gz`;

const iso = z.iso.datetime({ offset: false });
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * A file's path in the archive: relative, '/'-separated, no empty, '.' or '..'
 * segment, no backslash or NUL, at most 255 UTF-8 bytes (ustar's limit). Media
 * paths carry uploaders' file names, and whoever unpacks a bundle with plain tar
 * must not have a file written outside the folder they chose.
 */
export const bundlePath = z
  .string()
  .min(1)
  .refine(
    (p) => new TextEncoder().encode(p).length <= 255 && !/[\\\0]/.test(p) && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'),
    'a relative path of at most 255 bytes, without empty, "." or ".." segments, backslashes or NUL',
  );

const bundleFile = z.strictObject({ path: bundlePath, bytes: z.number().int().nonnegative(), sha256: sha256Hex });
export type BundleFile = z.infer<typeof bundleFile>;

export const manifestSchema = z.strictObject({
  format: z.literal(FORMAT),
  formatVersion: z.literal(FORMAT_VERSION),
  exportId: z.string(),
  tenant: z.strictObject({ id: z.string(), slug: z.string() }),
  workspace: z.strictObject({ id: z.string(), slug: z.string(), name: z.string() }),
  room: z.strictObject({ id: z.string(), kind: z.string(), name: z.string().nullable() }),
  /** messages and media created in [since, until); since null: from the room's beginning */
  range: z.strictObject({ since: iso.nullable(), until: iso }),
  /** who asked: a user (API), an operator at the `scaiwave` CLI, or the tenant's compliance schedule */
  exporter: z.strictObject({ kind: z.enum(['user', 'operator', 'schedule']), userId: z.string().nullable(), subject: z.string().nullable() }),
  createdAt: iso,
  counts: z.strictObject({
    messages: z.number().int().nonnegative(),
    revisions: z.number().int().nonnegative(),
    tombstones: z.number().int().nonnegative(),
    reactions: z.number().int().nonnegative(),
    members: z.number().int().nonnegative(),
    media: z.number().int().nonnegative(),
    mediaIncluded: z.number().int().nonnegative(),
    warnings: z.number().int().nonnegative(),
  }),
  /** every file of the bundle except manifest.json and manifest.sig, in archive order */
  files: z.array(bundleFile),
  /** sha256 of the canonical form (RFC 8785) of this object without this field */
  manifestSha256: sha256Hex,
});
export type Manifest = z.infer<typeof manifestSchema>;

export const signatureSchema = z.strictObject({
  algorithm: z.literal('Ed25519'),
  /** DER SubjectPublicKeyInfo, base64: a recipient compares it with the key the exporter published */
  publicKey: z.string(),
  /** over the UTF-8 bytes of the manifest's canonical form, manifestSha256 included */
  signature: z.string(),
});
export type BundleSignature = z.infer<typeof signatureSchema>;

const userRecord = z.strictObject({
  id: z.string(),
  /** the ScaiKey `sub`: how an import finds the same person in another deployment */
  subject: z.string(),
  displayName: z.string().nullable(),
  email: z.string().nullable(),
});
export type UserRecord = z.infer<typeof userRecord>;

export const roomFile = z.strictObject({
  room: z.strictObject({
    id: z.string(),
    kind: z.string(),
    visibility: z.string(),
    name: z.string().nullable(),
    topic: z.string().nullable(),
    createdById: z.string(),
    createdAt: iso,
    archivedAt: iso.nullable(),
  }),
  workspace: z.strictObject({ id: z.string(), slug: z.string(), name: z.string() }),
  /** as of the export: who is in the room now (leftAt null) and who was */
  members: z.array(z.strictObject({ userId: z.string(), role: z.string(), joinedAt: iso, leftAt: iso.nullable() })),
  /** every membership change, oldest first */
  membershipLog: z.array(
    z.strictObject({ userId: z.string(), action: z.string(), role: z.string().nullable(), actorId: z.string(), at: iso }),
  ),
  /** every user the bundle mentions anywhere, so an import can map them by subject */
  users: z.array(userRecord),
});
export type RoomFile = z.infer<typeof roomFile>;

export const messageRecord = z.strictObject({
  id: z.string(),
  seq: z.number().int().positive(),
  authorId: z.string(),
  createdAt: iso,
  threadParentId: z.string().nullable(),
  /** null for a deleted message: the tombstone says who and when */
  body: z.string().nullable(),
  mentions: z.array(z.string()),
  editedAt: iso.nullable(),
  /** the text before each edit, oldest first */
  revisions: z.array(z.strictObject({ body: z.string().nullable(), editedAt: iso, editorId: z.string() })),
  deleted: z.strictObject({ at: iso, byId: z.string() }).nullable(),
  reactions: z.array(z.strictObject({ userId: z.string(), emoji: z.string(), at: iso })),
});
export type MessageRecord = z.infer<typeof messageRecord>;

export const mediaRecord = z.strictObject({
  id: z.string(),
  ownerId: z.string(),
  fileName: z.string().nullable(),
  contentType: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: sha256Hex,
  scanStatus: z.string(),
  createdAt: iso,
  /** where the file is in the bundle; null when it was left out (warnings.json says why) */
  path: bundlePath.nullable(),
});
export type MediaRecord = z.infer<typeof mediaRecord>;

const WARNING_CODES = ['media_missing', 'media_infected', 'media_changed'] as const;
const warningRecord = z.strictObject({
  code: z.enum(WARNING_CODES),
  mediaId: z.string(),
  detail: z.string(),
});
export type WarningRecord = z.infer<typeof warningRecord>;
export const warningsFile = z.array(warningRecord);
