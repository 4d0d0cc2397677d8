import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import { pipeline, Transform, type Readable } from 'node:stream';
import { BUNDLE_PATHS, mediaRecord, messageRecord, roomFile, type MessageRecord, type RoomFile } from '../format.js';
import { importedRoomId } from '../import-ids.js';
import { ensureImportUsers, importUserMap, type UserMap } from '../import-users.js';
import { trustedImportKeys } from '../import-trust.js';
import { verifyForImport } from '../import-verify.js';
import type { ImportStatus } from '../imports.js';
import { gunzipped, isMessageChunk, textLines } from '../json-lines.js';
import { restoreMediaItem } from '../restore-media.js';
import { restoreMessageBatch, type BatchOutcome } from '../restore-messages.js';
import { restoreRoom } from '../restore-room.js';
import { BundleLayoutError, entryHead, entryStream, readBundleIndex, spanOf, type BundleIndex, type StoredBundle } from '../stored-bundle.js';
import type { WaveImport } from '../../../lib/generated/prisma/client.js';
import { failure } from '../../../lib/temporal/failures.js';
import { keepBeating } from '../../../lib/temporal/keep-beating.js';
import { SNIFF_BYTES } from '../../wave/media.js';
import type { ActivityDeps } from '../../../lib/temporal/activity-deps.js';
import { toFailure } from '../../../lib/temporal/activity-failures.js';

// The steps of a room import (domains/export/workflows/room-import.ts). Each reads the
// bundle from S3 and writes MariaDB in the same activity: the bundle's content
// is personal data and never passes through the workflow's history, which
// sees ids and counts only. Each is safe to repeat (domains/export/restore-*.ts);
// the long ones heartbeat their position and, retried, skip what the last
// attempt got through.

/** Messages per transaction: a few hundred rows with their revisions and reactions. */
const MESSAGE_BATCH = 200;
/** Media files per activity, at most: each is one object stored. */
const MEDIA_BATCH = 20;
/** …or fewer, once this many bytes are stored, so one call stays well inside its timeout. */
const MEDIA_BATCH_BYTES = 512 * 1024 * 1024;
const PROBLEMS_KEPT = 100;
const BEAT_MS = 5000;

export interface Verified {
  accepted: boolean;
  tenantId: string;
  tenantSlug: string;
  /** the room restored into; null when refused */
  roomId: string | null;
  /** the bundle's message chunks */
  chunks: number;
}

const messageChunks = (index: BundleIndex): string[] => index.manifest.files.map((f) => f.path).filter(isMessageChunk);

/** Heartbeats with the bytes read so far as they flow past (the SDK throttles what it sends): alive while the bundle arrives. */
function beatingCounter(ctx: Context): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      ctx.heartbeat({ bytes });
      done(null, chunk);
    },
  });
}

export function waveImportActivities({ db, s3, config }: ActivityDeps) {
  const bucket = config.env.SCAIWAVE_S3_BUCKET;
  const trusted = trustedImportKeys(config.env);

  async function importRow(importId: string): Promise<WaveImport> {
    const row = await db.waveImport.findUnique({ where: { id: importId } });
    if (!row) throw failure('IMPORT_NOT_FOUND', `import ${importId} not found`);
    return row;
  }

  const bundleOf = (row: WaveImport): StoredBundle => ({ bucket, key: row.objectKey });

  /** A final failure of a step (the bundle's shape or content: verified, so it should not happen) is said on the row too. */
  async function failingOnRow<T>(importId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const final = toFailure(err);
      if (final === err) throw err;
      // The detail may name a file of the bundle: it goes to the row, not to the workflow's history.
      await db.waveImport.update({ where: { id: importId }, data: { error: (err as Error).message.slice(0, 1024) } });
      throw final;
    }
  }

  async function readRoomFile(b: StoredBundle, index: BundleIndex): Promise<RoomFile> {
    const parts: Buffer[] = [];
    for await (const chunk of entryStream(s3, b, spanOf(index, BUNDLE_PATHS.room))) parts.push(chunk as Buffer);
    return roomFile.parse(JSON.parse(Buffer.concat(parts).toString('utf8')));
  }

  /** The index, room.json and the user mapping every restore step starts from. */
  async function restoreContext(importId: string) {
    const row = await importRow(importId);
    const bundle = bundleOf(row);
    const index = await readBundleIndex(s3, bundle);
    const room = await readRoomFile(bundle, index);
    const users: UserMap = await importUserMap(db, row.tenantId, room.users);
    return { row, bundle, index, room, users, target: { importId, tenantId: row.tenantId, roomId: row.roomId! } };
  }

  return {
    /**
     * Reads the whole bundle once and records the verdict on the import row:
     * `restoring`, with what the manifest says, or `refused` with the problems.
     * A repeat after the verdict was recorded answers from the row.
     */
    async verifyImportBundle(importId: string): Promise<Verified> {
      const row = await importRow(importId);
      const tenant = await db.tenant.findUniqueOrThrow({ where: { id: row.tenantId }, select: { slug: true } });
      const answer = (accepted: boolean, chunks: number): Verified => ({ accepted, tenantId: row.tenantId, tenantSlug: tenant.slug, roomId: accepted ? row.roomId : null, chunks });
      if (row.status !== ('verifying' satisfies ImportStatus)) {
        const accepted = row.status !== 'refused';
        return answer(accepted, accepted ? messageChunks(await readBundleIndex(s3, bundleOf(row))).length : 0);
      }
      const ctx = Context.current();
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: row.objectKey }), { abortSignal: ctx.cancellationSignal });
      const body = object.Body as Readable;
      const counted = pipeline(body, beatingCounter(ctx), () => undefined);
      const waivers = { unsigned: row.unsignedAllowed, otherTenant: row.otherTenantAllowed };
      const verdict = await verifyForImport(counted, { tenantId: row.tenantId, trusted, waivers });
      const m = verdict.manifest;
      if (verdict.problems.length > 0 || !m) {
        const problems = verdict.problems.slice(0, PROBLEMS_KEPT);
        const first = problems[0];
        const more = verdict.problems.length > 1 ? ` (and ${verdict.problems.length - 1} more)` : '';
        const why = verdict.refusal ? `${verdict.refusal.code}: ${verdict.refusal.message}` : first ? `${first.file}: ${first.problem}${more}` : 'unreadable';
        await db.waveImport.update({
          where: { id: importId },
          data: {
            status: 'refused' satisfies ImportStatus,
            problems: problems.map((p) => ({ ...p })),
            error: `the bundle was refused: ${why}`.slice(0, 1024),
            completedAt: new Date(),
          },
        });
        return answer(false, 0);
      }
      const roomId = importedRoomId(row.workspaceId, m.room.id);
      await db.waveImport.update({
        where: { id: importId },
        data: {
          status: 'restoring' satisfies ImportStatus,
          exportId: m.exportId,
          sourceRoomId: m.room.id,
          roomId,
          signed: verdict.signed,
          messagesTotal: m.counts.messages,
          mediaTotal: m.counts.media,
          mediaLeftOut: m.counts.media - m.counts.mediaIncluded,
        },
      });
      return { ...answer(true, m.files.filter((f) => isMessageChunk(f.path)).length), roomId };
    },

    /** The room, its members and their history; placeholders for the users not known here. */
    async restoreImportRoom(importId: string): Promise<void> {
      const row = await importRow(importId);
      await failingOnRow(importId, async () => {
        const bundle = bundleOf(row);
        const room = await readRoomFile(bundle, await readBundleIndex(s3, bundle));
        const users = await ensureImportUsers(db, row.tenantId, importId, room.users);
        await restoreRoom(db, { importId, tenantId: row.tenantId, workspaceId: row.workspaceId, roomId: row.roomId!, actorId: row.requestedById }, room, users);
      });
    },

    /** One message chunk, in batches; a retry skips the lines its last attempt heartbeat as done. */
    async restoreImportMessages(input: { importId: string; chunk: number }): Promise<BatchOutcome> {
      return failingOnRow(input.importId, async () => {
        const ctx = Context.current();
        const { bundle, index, users, target } = await restoreContext(input.importId);
        const path = messageChunks(index)[input.chunk];
        if (!path) throw new BundleLayoutError(`the bundle has no message chunk ${input.chunk + 1}`);
        const resumeAfter = (ctx.info.heartbeatDetails as { line?: number } | undefined)?.line ?? 0;
        const total: BatchOutcome = { added: 0, updated: 0, renamed: 0 };
        let line = 0;
        let batch: MessageRecord[] = [];
        const flush = async () => {
          const done = await restoreMessageBatch(db, target, users, batch);
          total.added += done.added;
          total.updated += done.updated;
          total.renamed += done.renamed;
          batch = [];
          ctx.heartbeat({ line });
        };
        for await (const text of textLines(gunzipped(entryStream(s3, bundle, spanOf(index, path), ctx.cancellationSignal)))) {
          if (++line <= resumeAfter) continue;
          batch.push(messageRecord.parse(JSON.parse(text)));
          if (batch.length >= MESSAGE_BATCH) await flush();
        }
        if (batch.length > 0) await flush();
        return total;
      });
    },

    /**
     * The media of media.jsonl from line `from` (0-based): a few files, each
     * stored and recorded. Answers where the next call starts (null: done),
     * how many lines it took, and which media wait for their scan.
     */
    async restoreImportMedia(input: { importId: string; from: number }): Promise<{ next: number | null; lines: number; scan: string[] }> {
      return failingOnRow(input.importId, async () => {
        const ctx = Context.current();
        const { bundle, index, users, target } = await restoreContext(input.importId);
        const mediaTarget = { ...target, bucket, scanning: Boolean(config.env.SCAIWAVE_CLAMAV_URL) };
        const scan: string[] = [];
        let line = 0;
        let taken = 0;
        let bytes = 0;
        for await (const text of textLines(entryStream(s3, bundle, spanOf(index, BUNDLE_PATHS.media), ctx.cancellationSignal))) {
          if (line++ < input.from) continue;
          if (taken >= MEDIA_BATCH || bytes >= MEDIA_BATCH_BYTES) return { next: input.from + taken, lines: taken, scan };
          taken++;
          const m = mediaRecord.parse(JSON.parse(text));
          if (m.path === null) continue;
          const span = spanOf(index, m.path);
          // A large file may take longer to store than the heartbeat timeout: beat while it goes.
          const restored = await keepBeating(BEAT_MS, () =>
            restoreMediaItem({ db, s3 }, mediaTarget, users, m, {
              head: () => entryHead(s3, bundle, span, SNIFF_BYTES),
              open: () => entryStream(s3, bundle, span, ctx.cancellationSignal),
            }),
          );
          if (restored.pendingScan) scan.push(restored.id);
          bytes += m.bytes;
        }
        return { next: null, lines: taken, scan };
      });
    },

    async finishImport(importId: string): Promise<void> {
      await db.waveImport.updateMany({ where: { id: importId, status: 'restoring' satisfies ImportStatus }, data: { status: 'completed', completedAt: new Date() } });
    },

    /** Keeps the reason a step gave up; the bundle stays, so sending it again can retry. */
    async failImport(input: { importId: string; reason: string }): Promise<void> {
      const row = await importRow(input.importId);
      await db.waveImport.update({ where: { id: input.importId }, data: { status: 'failed' satisfies ImportStatus, error: row.error ?? input.reason.slice(0, 1024) } });
    },

    /** Deletes the uploaded bundle once the import has settled; deleting it again is a no-op. */
    async discardImportBundle(importId: string): Promise<void> {
      const row = await importRow(importId);
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: row.objectKey }));
    },
  };
}

/** What a workflow proxies: the steps this file defines. */
export type WaveImportActivities = ReturnType<typeof waveImportActivities>;
