import {
  CancellationScope,
  defineQuery,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { bookkeeping } from './activity-options.js';
import type { Outcome } from '../activities/transcription.js';
import { JobStatusKey } from '../lib/temporal/search-attributes.js';
import { failureReason } from '../lib/temporal/failures.js';

export interface TranscriptionProgress {
  phase: 'starting' | 'choosing_backend' | 'transcribing' | 'attributing' | 'finishing' | 'completed' | 'failed' | 'cancelled';
  backend: 'A' | 'B' | null;
}

export const transcriptionProgressQuery = defineQuery<TranscriptionProgress>('progress');

const books = proxyActivities<Activities>(bookkeeping());

// Picking a backend may find none online: retry a while (a node may come back), then give up.
const choose = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 6 },
});

// The backend call streams audio for as long as the engine needs; heartbeats
// prove the worker is alive, so a killed worker's attempt is retried elsewhere
// within the heartbeat timeout instead of after the whole start-to-close.
const dispatch = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 8,
  },
});

// Labelling segments streams the audio once more, to a diarization node; a few
// tries, then the transcript is delivered without labels rather than not at all.
const attribute = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 4,
  },
});

/**
 * One async transcription job, keyed `scaiecho-transcribe-{jobId}`. Carries
 * only ids and figures: audio stays in S3, the transcript goes straight to
 * MariaDB. Every step is idempotent, so a worker killed anywhere is harmless.
 */
export async function transcriptionJobWorkflow(input: { jobId: string }): Promise<{ status: string }> {
  const { jobId } = input;
  const progress: TranscriptionProgress = { phase: 'starting', backend: null };
  setHandler(transcriptionProgressQuery, () => progress);

  const finish = async (outcome: Outcome): Promise<{ status: string }> => {
    const facts = await books.finishTranscriptionJob(jobId, outcome);
    if (facts.status === 'completed') await books.recordTranscriptionUsage(facts);
    await books.publishTranscriptionEvent(facts);
    progress.phase = facts.status as TranscriptionProgress['phase'];
    upsertSearchAttributes([{ key: JobStatusKey, value: facts.status }]);
    return { status: facts.status };
  };

  try {
    const started = await books.startTranscriptionJob(jobId);
    if (started.terminal) return { status: started.status };
    upsertSearchAttributes([{ key: JobStatusKey, value: 'running' }]);
    // Subscribers learn a job started; runs begun before this event existed replay without it.
    if (patched('transcription-running-event')) await books.publishTranscriptionEvent(started.facts);

    progress.phase = 'choosing_backend';
    progress.backend = await choose.chooseTranscriptionBackend(jobId);

    progress.phase = 'transcribing';
    progress.backend = await dispatch.transcribeJobAudio(jobId, progress.backend);

    // Jobs from before attribution existed never ask for it, so their histories replay down the same path.
    if (started.attributeSpeakers) {
      progress.phase = 'attributing';
      try {
        await attribute.attributeTranscriptSpeakers(jobId);
      } catch (err) {
        if (isCancellation(err)) throw err;
        progress.phase = 'finishing';
        return await finish({ status: 'completed', reason: `transcribed without speaker labels: ${failureReason(err)}` });
      }
    }

    progress.phase = 'finishing';
    return await finish({ status: 'completed' });
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => finish({ status: 'cancelled', reason: 'cancelled by the caller' }));
      throw err;
    }
    return finish({ status: 'failed', reason: failureReason(err) });
  }
}
