import { CancellationScope, defineQuery, isCancellation, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { WaveExportActivities } from '../activities/export.js';
import type { ChunkPosition } from '../activities/export.js';
import { exportPercent } from '../progress.js';
import { failureReason } from '../../../lib/temporal/failures.js';
import { JobStatusKey } from '../../../lib/temporal/search-attributes.js';
import { bookkeeping, exportBatch } from '../../../lib/temporal/activity-options.js';

// `wave-room-export-{exportId}`: one room's messages and media of a time range,
// as a verifiable bundle (docs/export-format.md) at one S3 key. The story:
// stage the messages in chunks, hash the media, write the index files, then
// upload the laid-out bundle part by part and complete it. Cursors and counts
// live in this history and in the activities' heartbeats, never message text
// or file names. Cancelled or failed, the upload is aborted and the staged
// files deleted: nothing partial is left visible.

export interface ExportProgress {
  phase: 'messages' | 'media' | 'index' | 'upload' | 'done';
  messagesTotal: number;
  messagesDone: number;
  mediaBytesTotal: number;
  bundleBytes: number | null;
  uploadedBytes: number;
  /** parts of the bundle uploaded by this run (a part S3 already held after a crash is not made again) */
  partsMade: number;
  /** domains/export/progress.ts; the media count once all are hashed */
  percent: number;
}

export const exportProgressQuery = defineQuery<ExportProgress>('progress');

/** Parts per upload call (8 MiB or more each), so progress moves and a retry repeats little. */
const PARTS_PER_CALL = 64;

const steps = proxyActivities<WaveExportActivities>(bookkeeping());
// The long steps heartbeat; a dead worker's step is retried from its last beat.
const long = proxyActivities<WaveExportActivities>(exportBatch);

const percent = (p: ExportProgress, mediaDone: boolean): number => exportPercent({ ...p, media: mediaDone ? 1 : 0 });

export async function waveRoomExportWorkflow(input: { exportId: string }): Promise<ExportProgress> {
  const { exportId } = input;
  const progress: ExportProgress = { phase: 'messages', messagesTotal: 0, messagesDone: 0, mediaBytesTotal: 0, bundleBytes: null, uploadedBytes: 0, partsMade: 0, percent: 0 };
  setHandler(exportProgressQuery, () => progress);
  try {
    Object.assign(progress, await steps.beginExport({ exportId }));

    for (let at: ChunkPosition | null = { n: 1, after: null }; at; ) {
      const done: { next: ChunkPosition | null; messages: number } = await long.exportMessages({ exportId, from: at });
      progress.messagesDone += done.messages;
      progress.percent = percent(progress, false);
      at = done.next;
    }

    progress.phase = 'media';
    let media = await long.exportMedia({ exportId, from: null });
    while (media.next) media = await long.exportMedia({ exportId, from: media.next });

    progress.phase = 'index';
    progress.percent = percent(progress, true);
    await long.exportIndexFiles({ exportId });

    progress.phase = 'upload';
    const { parts, bundleBytes } = await steps.openExportUpload({ exportId });
    progress.bundleBytes = bundleBytes;
    for (let from = 1; from <= parts; from += PARTS_PER_CALL) {
      const done = await long.uploadExportParts({ exportId, from, to: Math.min(parts, from + PARTS_PER_CALL - 1) });
      progress.uploadedBytes = done.uploadedBytes;
      progress.partsMade += done.partsMade;
      progress.percent = percent(progress, true);
    }
    await steps.completeExportUpload({ exportId });
    await steps.discardExportStaging({ exportId });
    await steps.finishExport({ exportId });
  } catch (err) {
    const cancelled = isCancellation(err);
    await CancellationScope.nonCancellable(async () => {
      await steps.abortExportUpload({ exportId });
      await steps.discardExportStaging({ exportId });
      await steps.abandonExport({ exportId, status: cancelled ? 'cancelled' : 'failed', error: cancelled ? 'cancelled' : failureReason(err) });
    });
    upsertSearchAttributes([{ key: JobStatusKey, value: cancelled ? 'cancelled' : 'failed' }]);
    throw err;
  }
  progress.phase = 'done';
  progress.uploadedBytes = progress.bundleBytes ?? 0;
  progress.percent = 100;
  upsertSearchAttributes([{ key: JobStatusKey, value: 'completed' }]);
  return progress;
}

