import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, NotFound, type S3Client } from '@aws-sdk/client-s3';
import type { WaveMedia } from '../../lib/generated/prisma/client.js';
import type { Db } from '../../lib/infra/db.js';
import { SECTION, recordExportFile } from './export-files.js';
import type { WarningRecord } from './format.js';
import { rangeWhere, type ExportRange } from './message-records.js';

// Before the bundle is laid out, each media item of the range is read once and
// hashed: the bundle needs every file's size and sha256 up front, and a file
// that is gone, infected, or no longer the bytes that were uploaded is left out
// with a warning instead of failing the export or slipping in unnoticed.

export interface MediaCursor {
  createdAt: number;
  id: string;
  /** the next media file's index in the bundle */
  idx: number;
}

interface InventoryTarget {
  db: Db;
  s3: S3Client;
  bucket: string;
  exportId: string;
  signal?: AbortSignal;
}

/** `media/<id>/<name>`: the name as uploaded, made safe for any file system and ustar's 100 bytes. */
export function mediaPath(m: Pick<WaveMedia, 'id' | 'fileName'>): string {
  const cleaned = (m.fileName ?? '')
    .normalize('NFC')
    .replace(/[\p{Cc}/\\:*?"<>|]/gu, '_')
    .replace(/^\.+/, '_')
    .trim();
  let name = cleaned || 'file';
  while (Buffer.byteLength(name) > 100) name = [...name].slice(0, -1).join('');
  return `media/${m.id}/${name}`;
}

const missing = (err: unknown): boolean => err instanceof NoSuchKey || err instanceof NotFound;

async function hashObject(t: InventoryTarget, key: string): Promise<{ bytes: number; sha256: string; etag: string } | null> {
  let object;
  try {
    object = await t.s3.send(new GetObjectCommand({ Bucket: t.bucket, Key: key }), { abortSignal: t.signal });
  } catch (err) {
    if (missing(err)) return null;
    throw err;
  }
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of object.Body as Readable) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex'), etag: object.ETag ?? '' };
}

async function warn(db: Db, exportId: string, w: WarningRecord): Promise<void> {
  await db.waveExportWarning.upsert({
    where: { exportId_mediaId: { exportId, mediaId: w.mediaId } },
    create: { exportId, ...w },
    update: { code: w.code, detail: w.detail },
  });
}

/** One media item: into the bundle's file list, or a warning saying why not. */
async function inventoryOne(t: InventoryTarget, m: WaveMedia, idx: number): Promise<boolean> {
  if (m.scanStatus === 'infected') {
    await warn(t.db, t.exportId, { code: 'media_infected', mediaId: m.id, detail: `left out: the virus scan found ${m.scanSignature ?? 'malware'}` });
    return false;
  }
  const found = await hashObject(t, m.objectKey);
  if (!found) {
    await warn(t.db, t.exportId, { code: 'media_missing', mediaId: m.id, detail: 'left out: the stored object is gone' });
    return false;
  }
  if (found.sha256 !== m.sha256 || found.bytes !== Number(m.bytes)) {
    await warn(t.db, t.exportId, {
      code: 'media_changed',
      mediaId: m.id,
      detail: `left out: the stored object (${found.bytes} bytes, sha256 ${found.sha256}) is not what was uploaded (${m.bytes} bytes, sha256 ${m.sha256})`,
    });
    return false;
  }
  await recordExportFile(t.db, t.exportId, {
    section: SECTION.media,
    idx,
    path: mediaPath(m),
    objectKey: m.objectKey,
    bytes: found.bytes,
    sha256: found.sha256,
    etag: found.etag,
  });
  return true;
}

/** The next page of the range's media after `after`, in (created_at, id) order. */
export function mediaPage(db: Db, range: ExportRange, after: { createdAt: number; id: string } | null, take: number): Promise<WaveMedia[]> {
  const at = after ? new Date(after.createdAt) : null;
  return db.waveMedia.findMany({
    where: { ...rangeWhere(range), ...(after && at ? { OR: [{ createdAt: { gt: at } }, { createdAt: at, id: { gt: after.id } }] } : {}) },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take,
  });
}

/** Inventories one page of media; answers where the next page starts, or null when the range is done. */
export async function inventoryMediaPage(t: InventoryTarget, range: ExportRange, from: MediaCursor | null, take: number): Promise<MediaCursor | null> {
  const page = await mediaPage(t.db, range, from, take);
  let idx = from?.idx ?? 0;
  for (const m of page) if (await inventoryOne(t, m, idx)) idx++;
  const last = page.at(-1);
  return last ? { createdAt: last.createdAt.getTime(), id: last.id, idx } : null;
}
