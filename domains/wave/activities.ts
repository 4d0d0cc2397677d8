import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import type { Readable } from 'node:stream';
import { failure } from '../../lib/temporal/failures.js';
import { ClamdStreamTooLongError, scanStream } from '../../lib/infra/clamd.js';
import { quarantineKey, type MediaStatus } from './media.js';
import { appendEvent } from './outbox.js';
import type { ActivityDeps } from '../../lib/temporal/activity-deps.js';
import { toFailure } from '../../lib/temporal/activity-failures.js';

/** What the scan found; a signature name is clamd's, never the file's content. */
type MediaVerdict = { status: 'clean' } | { status: 'infected'; signature: string } | { status: 'unscannable'; reason: string };

const missing = (err: unknown): boolean => err instanceof NoSuchKey || err instanceof NotFound;

export function waveMediaActivities({ db, s3, config }: ActivityDeps) {
  const bucket = config.env.SCAIWAVE_S3_BUCKET;

  async function mediaRow(mediaId: string) {
    const media = await db.waveMedia.findUnique({ where: { id: mediaId } });
    if (!media) throw failure('MEDIA_NOT_FOUND', `media ${mediaId} not found`);
    return media;
  }

  return {
    /** Streams the object from S3 to clamd. clamd down: a retryable failure, so the scan waits for it. */
    async scanWaveMedia(mediaId: string): Promise<MediaVerdict> {
      const media = await mediaRow(mediaId);
      const url = config.env.SCAIWAVE_CLAMAV_URL;
      if (!url) throw failure('CLAMD_UNAVAILABLE', 'SCAIWAVE_CLAMAV_URL is not set on this worker');
      const ctx = Context.current();
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: media.objectKey }), { abortSignal: ctx.cancellationSignal });
      const body = object.Body as Readable;
      try {
        return await scanStream(url, body, { signal: ctx.cancellationSignal, onProgress: (sent) => ctx.heartbeat(sent) });
      } catch (err) {
        if (err instanceof ClamdStreamTooLongError) return { status: 'unscannable', reason: 'larger than clamd accepts (StreamMaxLength)' };
        throw toFailure(err);
      } finally {
        body.destroy();
      }
    },

    /** Moves the object under the quarantine prefix: copy, then delete; a repeat finds the copy done. */
    async quarantineWaveMedia(mediaId: string): Promise<void> {
      const media = await mediaRow(mediaId);
      const target = quarantineKey(media.objectKey);
      if (media.objectKey.startsWith('quarantine/')) return;
      try {
        await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: `${bucket}/${encodeURIComponent(media.objectKey)}` }));
      } catch (err) {
        if (!missing(err)) throw err;
        // The original is gone: a previous attempt copied and deleted it already.
        await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: target }));
        return;
      }
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: media.objectKey }));
    },

    /**
     * Records the verdict once: only a row still pending changes (a repeat
     * finds it settled). Clean media is announced to the room.
     */
    async settleWaveMediaScan(mediaId: string, verdict: MediaVerdict): Promise<MediaStatus> {
      return db.$transaction(async (tx) => {
        const media = await tx.waveMedia.findUnique({ where: { id: mediaId } });
        if (!media) throw failure('MEDIA_NOT_FOUND', `media ${mediaId} not found`);
        if (media.scanStatus !== 'pending_scan') return media.scanStatus as MediaStatus;
        await tx.waveMedia.update({
          where: { id: mediaId },
          data: {
            scanStatus: verdict.status,
            scanSignature: verdict.status === 'infected' ? verdict.signature.slice(0, 255) : null,
            scannedAt: new Date(),
            ...(verdict.status === 'clean' ? {} : { objectKey: quarantineKey(media.objectKey) }),
          },
        });
        if (verdict.status === 'clean') {
          await appendEvent(tx, 'media.clean', { tenantId: media.tenantId, roomId: media.roomId, actorId: media.ownerId, mediaId });
        }
        return verdict.status;
      });
    },
  };
}

/** What a workflow proxies: the steps this file defines. */
export type WaveMediaActivities = ReturnType<typeof waveMediaActivities>;
