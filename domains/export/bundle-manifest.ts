import type { KeyObject } from 'node:crypto';
import type { Db } from '../../lib/infra/db.js';
import { SECTION } from './export-files.js';
import { FORMAT, FORMAT_VERSION, type BundleFile, type BundleSignature, type Manifest } from './format.js';
import { sealManifest, signManifest } from './manifest.js';

// The manifest of a finished collection, made from the export's rows alone:
// every call gives the same bytes (the times are the export's, the files come
// in archive order, Ed25519 signatures are deterministic), which is what lets a
// resumed upload re-make any part of the bundle identically.

/** Where a bundle file's bytes are: a staged file or the media item's object (ETag-checked). */
export interface FileSource {
  key: string;
  etag: string | null;
}

interface ExportContents {
  manifest: Manifest;
  signature: BundleSignature | null;
  files: (BundleFile & { source: FileSource })[];
}

export async function exportContents(db: Db, exportId: string, signingKey: KeyObject | null): Promise<ExportContents> {
  const e = await db.waveExport.findUniqueOrThrow({
    where: { id: exportId },
    include: { room: { include: { workspace: true } }, files: { orderBy: [{ section: 'asc' }, { idx: 'asc' }] } },
  });
  if (e.members === null || e.mediaCount === null || e.warnings === null) throw new Error(`export ${exportId}: its index files are not written yet`);
  const [tenant, requester] = await Promise.all([
    db.tenant.findUniqueOrThrow({ where: { id: e.tenantId } }),
    e.requestedById ? db.user.findUnique({ where: { id: e.requestedById } }) : null,
  ]);
  const sum = (k: 'messages' | 'revisions' | 'tombstones' | 'reactions'): number => e.files.reduce((n, f) => n + f[k], 0);
  const files = e.files.map((f) => ({ path: f.path, bytes: Number(f.bytes), sha256: f.sha256, source: { key: f.objectKey, etag: f.etag } }));
  const manifest = sealManifest({
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    exportId: e.id,
    tenant: { id: tenant.id, slug: tenant.slug },
    workspace: { id: e.room.workspace.id, slug: e.room.workspace.slug, name: e.room.workspace.name },
    room: { id: e.room.id, kind: e.room.kind, name: e.room.name },
    range: { since: e.since?.toISOString() ?? null, until: e.until.toISOString() },
    exporter: e.requestedById
      ? { kind: 'user', userId: e.requestedById, subject: requester?.scaikeySubject ?? null }
      : { kind: e.kind === 'scheduled' ? 'schedule' : 'operator', userId: null, subject: null },
    createdAt: e.createdAt.toISOString(),
    counts: {
      messages: sum('messages'),
      revisions: sum('revisions'),
      tombstones: sum('tombstones'),
      reactions: sum('reactions'),
      members: e.members,
      media: e.mediaCount,
      mediaIncluded: e.files.filter((f) => f.section === SECTION.media).length,
      warnings: e.warnings,
    },
    files: files.map(({ path, bytes, sha256 }) => ({ path, bytes, sha256 })),
  });
  return { manifest, signature: signingKey ? signManifest(manifest, signingKey) : null, files };
}
