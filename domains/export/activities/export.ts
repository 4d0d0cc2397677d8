import { DeleteObjectsCommand, HeadObjectCommand, ListObjectsV2Command, NoSuchUpload, NotFound, S3ServiceException } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import { exportContents } from '../bundle-manifest.js';
import { planBundle } from '../bundle-plan.js';
import {
  abortUpload,
  completeUpload,
  createUpload,
  listParts,
  makePart,
  partCount,
  uploadPart,
  type BundleLayout,
  type UploadTarget,
} from '../bundle-upload.js';
import { SECTION } from '../export-files.js';
import { exportStagingPrefix } from '../export-keys.js';
import { exportRange, stageIndexFiles } from '../index-files.js';
import { inventoryMediaPage, type MediaCursor } from '../media-inventory.js';
import { writeMessageChunk } from '../message-chunks.js';
import type { MessageCursor } from '../message-records.js';
import { parseSigningKey } from '../../../lib/ed25519-keys.js';
import { failure } from '../../../lib/temporal/failures.js';
import { keepBeating } from '../../../lib/temporal/keep-beating.js';
import type { ActivityDeps } from '../../../lib/temporal/activity-deps.js';
import { publishExportCompleted } from '../export-events.js';

// The steps of a room export (domains/export/workflows/room-export.ts). The long ones
// heartbeat their position and, when retried after a worker died, start from
// the last position they reported: the work between is repeated, and writes
// the same keys and rows again.

const BEAT_MS = 5000;
/** Per call, so the workflow's history and progress move every ~100k messages. */
const CHUNKS_PER_CALL = 10;
const MEDIA_PAGE = 50;
const MEDIA_PAGES_PER_CALL = 20;
/** Parts made and uploaded at once: each is a part's worth of memory. */
const PART_CONCURRENCY = 2;

export interface ChunkPosition {
  /** the next chunk's number (1-based) */
  n: number;
  after: MessageCursor | null;
}

/** Where to carry on: what the last attempt reported before it died, else where the workflow says. */
const resumed = <T>(from: T): T => (Context.current().info.heartbeatDetails as T | undefined) ?? from;

export function waveExportActivities({ db, sql, s3, nats, config }: ActivityDeps) {
  const bucket = config.env.SCAIWAVE_S3_BUCKET;
  const signingKey = config.env.SCAIWAVE_EXPORT_SIGNING_KEY ? parseSigningKey(config.env.SCAIWAVE_EXPORT_SIGNING_KEY) : null;

  async function exportRow(exportId: string) {
    const e = await db.waveExport.findUnique({ where: { id: exportId } });
    if (!e) throw failure('EXPORT_NOT_FOUND', `export ${exportId} not found`);
    return e;
  }
  const staging = (e: { id: string; tenantId: string }) => ({ db, s3, bucket, tenantId: e.tenantId, exportId: e.id });
  const upload = (e: { objectKey: string }): UploadTarget => ({ s3, bucket, key: e.objectKey, signal: Context.current().cancellationSignal });

  async function layout(exportId: string): Promise<BundleLayout> {
    const c = await exportContents(db, exportId, signingKey);
    return planBundle(c.manifest, c.signature, c.files);
  }

  return {
    /** Counts what the export will go through, for its progress. */
    async beginExport(input: { exportId: string }): Promise<{ messagesTotal: number; mediaBytesTotal: number }> {
      const e = await exportRow(input.exportId);
      const range = exportRange(e);
      const where = { tenantId: range.tenantId, roomId: range.roomId, createdAt: { ...(range.since ? { gte: range.since } : {}), lt: range.until } };
      const [messagesTotal, media] = await Promise.all([db.waveMessage.count({ where }), db.waveMedia.aggregate({ where, _sum: { bytes: true } })]);
      const mediaBytesTotal = Number(media._sum.bytes ?? 0n);
      await db.waveExport.update({ where: { id: e.id }, data: { messagesTotal, mediaBytesTotal } });
      return { messagesTotal, mediaBytesTotal };
    },

    /** Stages up to CHUNKS_PER_CALL message chunks from `from`; next is null once the range is done. */
    async exportMessages(input: { exportId: string; from: ChunkPosition }): Promise<{ next: ChunkPosition | null; messages: number }> {
      const ctx = Context.current();
      const e = await exportRow(input.exportId);
      let at = resumed(input.from);
      let messages = 0;
      for (let i = 0; i < CHUNKS_PER_CALL; i++) {
        const done = await keepBeating(BEAT_MS, () => writeMessageChunk(sql, staging(e), exportRange(e), at.n, at.after), at);
        messages += done.messages;
        if (!done.last) {
          // A chunk written by an earlier attempt past where the range now ends is not part of the bundle.
          const last = done.messages > 0 ? at.n : at.n - 1;
          await db.waveExportFile.deleteMany({ where: { exportId: e.id, section: SECTION.messages, idx: { gt: last } } });
          return { next: null, messages };
        }
        at = { n: at.n + 1, after: done.last };
        ctx.heartbeat(at);
      }
      return { next: at, messages };
    },

    /** Hashes up to MEDIA_PAGES_PER_CALL pages of the range's media from `from`; next is null once done. */
    async exportMedia(input: { exportId: string; from: MediaCursor | null }): Promise<{ next: MediaCursor | null }> {
      const ctx = Context.current();
      const e = await exportRow(input.exportId);
      const target = { db, s3, bucket, exportId: e.id, signal: ctx.cancellationSignal };
      let at = resumed(input.from);
      for (let i = 0; i < MEDIA_PAGES_PER_CALL; i++) {
        const next = await keepBeating(BEAT_MS, () => inventoryMediaPage(target, exportRange(e), at, MEDIA_PAGE), at);
        if (!next) {
          await db.waveExportFile.deleteMany({ where: { exportId: e.id, section: SECTION.media, idx: { gte: at?.idx ?? 0 } } });
          return { next: null };
        }
        at = next;
        ctx.heartbeat(at);
      }
      return { next: at };
    },

    /** room.json, media.jsonl and warnings.json, and the counts the manifest takes from them. */
    async exportIndexFiles(input: { exportId: string }): Promise<{ warnings: number }> {
      const e = await exportRow(input.exportId);
      const counts = await stageIndexFiles(staging(e), e);
      await db.waveExport.update({ where: { id: e.id }, data: counts });
      return { warnings: counts.warnings };
    },

    /** Lays the bundle out and opens its multipart upload (once: a repeat finds the upload it opened). */
    async openExportUpload(input: { exportId: string }): Promise<{ parts: number; bundleBytes: number }> {
      const e = await exportRow(input.exportId);
      const bundleBytes = (await layout(e.id)).totalBytes;
      if (!e.uploadId) {
        const uploadId = await createUpload(upload(e));
        // Two attempts racing would each open one; the row keeps the first and the other is aborted.
        const taken = await db.waveExport.updateMany({ where: { id: e.id, uploadId: null }, data: { uploadId, bundleBytes } });
        if (taken.count === 0) await abortUpload(upload(e), uploadId);
      }
      return { parts: partCount(bundleBytes), bundleBytes };
    },

    /** Makes and uploads parts [from, to] that S3 does not hold yet; answers the bytes S3 holds and how many parts this call made. */
    async uploadExportParts(input: { exportId: string; from: number; to: number }): Promise<{ uploadedBytes: number; partsMade: number }> {
      const ctx = Context.current();
      const e = await exportRow(input.exportId);
      const target = upload(e);
      const plan = await layout(e.id);
      const held = new Map((await listParts(target, e.uploadId!)).map((p) => [p.PartNumber, p.Size]));
      const missing: number[] = [];
      for (let n = input.from; n <= input.to; n++) if (!held.has(n)) missing.push(n);
      const partsMade = missing.length;
      let uploadedBytes = [...held.values()].reduce((a, b) => a + b, 0);
      const worker = async (): Promise<void> => {
        for (let n = missing.shift(); n !== undefined; n = missing.shift()) {
          let body: Buffer;
          try {
            body = await makePart(target, plan, n);
          } catch (err) {
            if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 412) {
              throw failure('EXPORT_SOURCE_CHANGED', `export ${e.id}: a media file changed after it was hashed; export the room again`);
            }
            throw err;
          }
          await uploadPart(target, e.uploadId!, n, body);
          uploadedBytes += body.length;
          ctx.heartbeat(n);
          await db.waveExport.update({ where: { id: e.id }, data: { uploadedBytes } });
        }
      };
      await Promise.all(Array.from({ length: PART_CONCURRENCY }, worker));
      return { uploadedBytes, partsMade };
    },

    /** Completes the upload: the bundle appears at its key, whole. A repeat after success finds it there. */
    async completeExportUpload(input: { exportId: string }): Promise<{ bundleBytes: number }> {
      const e = await exportRow(input.exportId);
      const bundleBytes = Number(e.bundleBytes);
      const target = upload(e);
      try {
        await completeUpload(target, e.uploadId!, await listParts(target, e.uploadId!));
      } catch (err) {
        if (!(err instanceof NoSuchUpload)) throw err;
        const there = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: e.objectKey })).catch((headErr: unknown) => {
          if (headErr instanceof NotFound) return null;
          throw headErr;
        });
        if (there?.ContentLength !== bundleBytes) throw failure('EXPORT_NOT_FOUND', `export ${e.id}: its upload is gone and no bundle is at its key`);
      }
      return { bundleBytes };
    },

    /** The export's row says completed, with the manifest hash a recipient checks against; then it is announced. */
    async finishExport(input: { exportId: string }): Promise<{ manifestSha256: string }> {
      const c = await exportContents(db, input.exportId, signingKey);
      const e = await exportRow(input.exportId);
      const done = await db.waveExport.update({
        where: { id: e.id },
        data: { status: 'completed', completedAt: new Date(), manifestSha256: c.manifest.manifestSha256, signed: c.signature !== null, uploadedBytes: e.bundleBytes ?? 0n },
      });
      await publishExportCompleted(nats.get(), config, done);
      return { manifestSha256: c.manifest.manifestSha256 };
    },

    /** Deletes the staged files; the bundle, when there is one, holds them. */
    async discardExportStaging(input: { exportId: string }): Promise<void> {
      const e = await exportRow(input.exportId);
      const prefix = exportStagingPrefix(e.tenantId, e.id);
      for (;;) {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1000 }));
        const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
        if (keys.length === 0) return;
        await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
      }
    },

    /** A cancelled or failed export's upload aborted: no part of a bundle is kept anywhere. */
    async abortExportUpload(input: { exportId: string }): Promise<void> {
      const e = await exportRow(input.exportId);
      if (e.uploadId) await abortUpload(upload(e), e.uploadId);
    },

    /** The row of a cancelled or failed export says so, and why; last, once nothing of it is left in S3. */
    async abandonExport(input: { exportId: string; status: 'cancelled' | 'failed'; error: string }): Promise<void> {
      await db.waveExport.update({ where: { id: input.exportId }, data: { status: input.status, error: input.error.slice(0, 1024), completedAt: new Date() } });
    },
  };
}

/** What a workflow proxies: the steps this file defines. */
export type WaveExportActivities = ReturnType<typeof waveExportActivities>;
