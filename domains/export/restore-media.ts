import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { Db } from '../../lib/infra/db.js';
import { mediaObjectKey, sniffHead, type MediaStatus } from '../wave/media.js';
import type { MediaRecord } from './format.js';
import { assignedId, renamedMediaId } from './import-ids.js';
import { localUser, type UserMap } from './import-users.js';

// A media file of a bundle, restored as an upload is stored (domains/wave/media.ts):
// the object under the tenant's media key, then its row. Nothing the source
// said about the bytes is taken on trust: the type is sniffed again, and the
// file waits for this deployment's own scan (pending_scan) before anyone may
// download it. The id follows the messages' rule (domains/export/import-ids.ts).
// Storing the object again after a crash writes the same bytes to the same
// key; the row goes in with INSERT IGNORE and is counted in that transaction.

interface MediaTarget {
  importId: string;
  tenantId: string;
  roomId: string;
  bucket: string;
  /** clamd is configured: restored files wait for their scan; otherwise they are stored `unscanned`, as uploads are */
  scanning: boolean;
}

interface MediaSource {
  /** the file's first bytes, for sniffing */
  head(): Promise<Buffer>;
  /** the whole file */
  open(): Readable;
}

/** The media's id here, and whether it still waits for its scan (the caller starts it). */
export async function restoreMediaItem(deps: { db: Db; s3: S3Client }, t: MediaTarget, users: UserMap, m: MediaRecord, file: MediaSource): Promise<{ id: string; pendingScan: boolean }> {
  const { db, s3 } = deps;
  const renamed = renamedMediaId(t.roomId, m.id);
  const rows = await db.waveMedia.findMany({ where: { id: { in: [m.id, renamed] } }, select: { id: true, roomId: true, scanStatus: true } });
  const id = assignedId(m.id, renamed, t.roomId, new Map(rows.map((r) => [r.id, r.roomId])));
  const present = rows.find((r) => r.id === id && r.roomId === t.roomId);
  if (present) return { id, pendingScan: present.scanStatus === 'pending_scan' };

  const objectKey = mediaObjectKey(t.tenantId, id);
  const contentType = await sniffHead(await file.head());
  await s3.send(new PutObjectCommand({ Bucket: t.bucket, Key: objectKey, Body: file.open(), ContentLength: m.bytes, ContentType: contentType }));
  const scanStatus: MediaStatus = t.scanning ? 'pending_scan' : 'unscanned';
  await db.$transaction(async (tx) => {
    const { count } = await tx.waveMedia.createMany({
      data: [
        {
          id,
          tenantId: t.tenantId,
          roomId: t.roomId,
          ownerId: localUser(users, m.ownerId),
          objectKey,
          fileName: m.fileName,
          bytes: m.bytes,
          sha256: m.sha256,
          contentType,
          scanStatus,
          createdAt: new Date(m.createdAt),
        },
      ],
      skipDuplicates: true,
    });
    if (count > 0) await tx.waveImport.update({ where: { id: t.importId }, data: { mediaAdded: { increment: count } } });
  });
  return { id, pendingScan: scanStatus === 'pending_scan' };
}
