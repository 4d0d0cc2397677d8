import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { planBundle, type BundleEntry } from '../../domains/export/bundle-plan.js';
import {
  BUNDLE_PATHS,
  FORMAT,
  FORMAT_VERSION,
  messageChunkPath,
  type BundleFile,
  type BundleSignature,
  type Manifest,
  type MediaRecord,
  type MessageRecord,
  type RoomFile,
  type WarningRecord,
} from '../../domains/export/format.js';
import { sealManifest, signManifest, type UnsealedManifest } from '../../domains/export/manifest.js';
import { layOut, segments, type TarLayout } from '../../domains/export/tar.js';

// Room bundles made in memory from records, through the same sealing, signing
// and tar layout as the export, for tests that need good and tampered bundles
// without a database: the verifier's and the import's.

export interface MediaItem {
  record: MediaRecord;
  /** the file's bytes; null for media left out of the bundle (record.path is null then) */
  content: Buffer | null;
}

export interface BundleSpec {
  /** manifest fields other than the ones derived from the records */
  manifest?: Partial<Pick<UnsealedManifest, 'exportId' | 'tenant' | 'range' | 'exporter' | 'createdAt'>>;
  room?: RoomFile;
  messages?: MessageRecord[];
  messagesPerChunk?: number;
  media?: MediaItem[];
  warnings?: WarningRecord[];
  /** sign with this Ed25519 private key; true: a fresh one */
  sign?: KeyObject | true;
  /** entries after the listed files that the manifest does not list */
  unlisted?: { path: string; content: Buffer }[];
}

export interface BuiltBundle {
  bytes: Buffer;
  manifest: Manifest;
  signature: BundleSignature | null;
  /** the signer's public key as base64 SPKI DER (what `--public-key` takes), or null */
  publicKey: string | null;
  /** every entry's content by path, manifest.json and manifest.sig included */
  contents: Map<string, Buffer>;
  /** where an entry's data starts in `bytes` */
  dataOffset(path: string): number;
}

const CREATED_AT = '2026-03-01T12:00:00.000Z';
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const jsonLines = (records: readonly unknown[]): Buffer => Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''));

export function roomFixture(): RoomFile {
  const at = '2026-01-05T09:00:00.000Z';
  return {
    room: { id: 'room-1', kind: 'channel', visibility: 'private', name: 'incident-42', topic: 'Outage review', createdById: 'user-ana', createdAt: at, archivedAt: null },
    workspace: { id: 'ws-1', slug: 'ops', name: 'Operations' },
    members: [
      { userId: 'user-ana', role: 'owner', joinedAt: at, leftAt: null },
      { userId: 'user-bo', role: 'member', joinedAt: at, leftAt: '2026-02-01T10:00:00.000Z' },
    ],
    membershipLog: [
      { userId: 'user-ana', action: 'join', role: 'owner', actorId: 'user-ana', at },
      { userId: 'user-bo', action: 'join', role: 'member', actorId: 'user-ana', at },
      { userId: 'user-bo', action: 'leave', role: null, actorId: 'user-bo', at: '2026-02-01T10:00:00.000Z' },
    ],
    users: [
      { id: 'user-ana', subject: 'sub-ana', displayName: 'Ana', email: 'ana@example.com' },
      { id: 'user-bo', subject: 'sub-bo', displayName: 'Bo', email: null },
    ],
  };
}

/** The n-th message (1-based) of a conversation between the fixture's two users, a minute apart. */
export function messageFixture(n: number, overrides: Partial<MessageRecord> = {}): MessageRecord {
  return {
    id: `msg-${String(n).padStart(6, '0')}`,
    seq: n,
    authorId: n % 2 ? 'user-ana' : 'user-bo',
    createdAt: new Date(Date.parse('2026-01-10T08:00:00.000Z') + n * 60_000).toISOString(),
    threadParentId: null,
    body: `message ${n}`,
    mentions: [],
    editedAt: null,
    revisions: [],
    deleted: null,
    reactions: [],
    ...overrides,
  };
}

/** A media item included in the bundle at media/<id>/<fileName>. */
export function mediaFixture(id: string, fileName: string, content: Buffer, overrides: Partial<MediaRecord> = {}): MediaItem {
  const record: MediaRecord = {
    id,
    ownerId: 'user-ana',
    fileName,
    contentType: 'application/octet-stream',
    bytes: content.length,
    sha256: sha256(content),
    scanStatus: 'clean',
    createdAt: '2026-01-10T09:00:00.000Z',
    path: `media/${id}/${fileName}`,
    ...overrides,
  };
  return { record, content };
}

export function buildBundle(spec: BundleSpec = {}): BuiltBundle {
  const room = spec.room ?? roomFixture();
  const messages = spec.messages ?? [1, 2, 3].map((n) => messageFixture(n));
  const media = spec.media ?? [];
  const warnings = spec.warnings ?? [];
  const perChunk = Math.max(1, spec.messagesPerChunk ?? 1000);

  const files: { path: string; content: Buffer }[] = [{ path: BUNDLE_PATHS.room, content: Buffer.from(`${JSON.stringify(room, null, 2)}\n`) }];
  for (let i = 0; i * perChunk < messages.length; i++) {
    files.push({ path: messageChunkPath(i + 1), content: gzipSync(jsonLines(messages.slice(i * perChunk, (i + 1) * perChunk))) });
  }
  files.push({ path: BUNDLE_PATHS.media, content: jsonLines(media.map((m) => m.record)) });
  for (const m of media) if (m.content && m.record.path) files.push({ path: m.record.path, content: m.content });
  files.push({ path: BUNDLE_PATHS.warnings, content: Buffer.from(`${JSON.stringify(warnings, null, 2)}\n`) });
  const listed = files.map((f) => ({ path: f.path, bytes: f.content.length, sha256: sha256(f.content), source: f.content }));

  const manifest = sealManifest({
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    exportId: 'export-1',
    tenant: { id: 'tenant-1', slug: 'acme' },
    workspace: room.workspace,
    room: { id: room.room.id, kind: room.room.kind, name: room.room.name },
    range: { since: null, until: CREATED_AT },
    exporter: { kind: 'user', userId: room.users[0]?.id ?? null, subject: room.users[0]?.subject ?? null },
    createdAt: CREATED_AT,
    ...spec.manifest,
    counts: {
      messages: messages.length,
      revisions: messages.reduce((sum, m) => sum + m.revisions.length, 0),
      tombstones: messages.filter((m) => m.deleted).length,
      reactions: messages.reduce((sum, m) => sum + m.reactions.length, 0),
      members: room.members.length,
      media: media.length,
      mediaIncluded: media.filter((m) => m.record.path !== null).length,
      warnings: warnings.length,
    },
    files: listed.map(({ path, bytes, sha256: hash }): BundleFile => ({ path, bytes, sha256: hash })),
  });
  const key = spec.sign === true ? generateKeyPairSync('ed25519').privateKey : spec.sign;
  const signature = key ? signManifest(manifest, key) : null;

  let layout: TarLayout<BundleEntry<Buffer>> = planBundle(manifest, signature, listed);
  if (spec.unlisted?.length) {
    const mtime = layout.entries[0]!.entry.mtime;
    layout = layOut([...layout.entries.map((p) => p.entry), ...spec.unlisted.map((u) => ({ path: u.path, bytes: u.content.length, mtime, content: u.content }))]);
  }
  return {
    bytes: render(layout),
    manifest,
    signature,
    publicKey: key ? createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('base64') : null,
    contents: new Map(layout.entries.map((p) => [p.entry.path, contentOf(p.entry)])),
    dataOffset(path) {
      const placed = layout.entries.find((p) => p.entry.path === path);
      if (!placed) throw new Error(`no entry ${path} in the bundle`);
      return placed.dataOffset;
    },
  };
}

/** A copy of the bundle with byte `at` of one entry's data replaced (by default: its lowest bit flipped). */
export function changeByte(bundle: BuiltBundle, path: string, at = 0, to?: number): Buffer {
  const copy = Buffer.from(bundle.bytes);
  const i = bundle.dataOffset(path) + at;
  copy[i] = to ?? copy[i]! ^ 1;
  return copy;
}

/** The bundle's entries laid out again in the order given (some left out, or repeated): what a careless repacking makes. */
export function repack(bundle: BuiltBundle, paths: readonly string[]): Buffer {
  return render(
    layOut(
      paths.map((path) => {
        const content = bundle.contents.get(path);
        if (!content) throw new Error(`no entry ${path} in the bundle`);
        return { path, bytes: content.length, mtime: 0, content };
      }),
    ),
  );
}

/** Writes bundle bytes to a fresh temporary folder; returns the file's path. */
export async function saveBundle(bytes: Buffer, name = 'bundle.tar'): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'scaiwave-bundle-')), name);
  await writeFile(file, bytes);
  return file;
}

const contentOf = (e: BundleEntry<Buffer>): Buffer => ('content' in e ? e.content : e.source);

function render(layout: TarLayout<BundleEntry<Buffer>>): Buffer {
  const parts: Buffer[] = [];
  for (const s of segments(layout, 0, layout.totalBytes)) {
    parts.push(s.kind === 'bytes' ? s.bytes : contentOf(s.entry).subarray(s.start, s.end));
  }
  return Buffer.concat(parts);
}

/** A bundle's entries by path, in archive order, and its records parsed: what a test compares of two bundles. */
export async function unpackBundle(bytes: Buffer): Promise<{ files: Map<string, Buffer>; manifest: Manifest; room: RoomFile; messages: MessageRecord[]; media: MediaRecord[] }> {
  const files = new Map<string, Buffer>();
  for await (const entry of Readable.from([bytes]).pipe(extract())) {
    const parts: Buffer[] = [];
    for await (const chunk of entry) parts.push(chunk as Buffer);
    files.set(entry.header.name, Buffer.concat(parts));
  }
  const json = (path: string): unknown => JSON.parse(files.get(path)!.toString('utf8'));
  const lines = (text: string): unknown[] => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
  const chunks = [...files.keys()].filter((p) => p.startsWith('messages/'));
  return {
    files,
    manifest: json(BUNDLE_PATHS.manifest) as Manifest,
    room: json(BUNDLE_PATHS.room) as RoomFile,
    messages: chunks.flatMap((p) => lines(gunzipSync(files.get(p)!).toString('utf8'))) as MessageRecord[],
    media: lines(files.get(BUNDLE_PATHS.media)!.toString('utf8')) as MediaRecord[],
  };
}
