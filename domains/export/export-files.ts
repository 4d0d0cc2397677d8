import type { Db } from '../../lib/infra/db.js';

// A bundle's files in archive order: a section, then an index within it. The
// manifest and its signature are not rows: they are made from these when the
// bundle is laid out (domains/export/bundle-manifest.ts).

export const SECTION = { room: 1, messages: 2, mediaIndex: 3, media: 4, warnings: 5 } as const;
type Section = (typeof SECTION)[keyof typeof SECTION];

export interface ExportFileRow {
  section: Section;
  idx: number;
  path: string;
  objectKey: string;
  bytes: number;
  sha256: string;
  etag?: string | null;
  counts?: { messages: number; revisions: number; tombstones: number; reactions: number };
}

/** Recording a file twice (a step repeated after a crash) leaves one row with the later figures. */
export async function recordExportFile(db: Db, exportId: string, f: ExportFileRow): Promise<void> {
  const data = {
    path: f.path,
    objectKey: f.objectKey,
    bytes: BigInt(f.bytes),
    sha256: f.sha256,
    etag: f.etag ?? null,
    ...(f.counts ?? {}),
  };
  await db.waveExportFile.upsert({
    where: { exportId_section_idx: { exportId, section: f.section, idx: f.idx } },
    create: { exportId, section: f.section, idx: f.idx, ...data },
    update: data,
  });
}
