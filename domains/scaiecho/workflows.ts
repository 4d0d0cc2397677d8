import {
  CancellationScope,
  defineQuery,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { TranscriptionActivities } from './activities.js';
import type { LegacyTranscriptionActivities } from './legacy-activities.js';
import type { SpeakerActivities } from '../speakers/activities/enrollment.js';
import { bookkeeping } from '../../lib/temporal/activity-options.js';
import type { Begun } from './begin-job.js';
import { nextBackendMayHelp } from './failover.js';
import type { Outcome } from './finish-job.js';
import type { Backend } from './policy.js';
import { JobStatusKey } from '../../lib/temporal/search-attributes.js';
import { failureReason, failureType } from '../../lib/temporal/failures.js';
import type { SealedFor } from '../../lib/codec/data-subject.js';

export interface TranscriptionProgress {
  phase: 'starting' | 'choosing_backend' | 'transcribing' | 'attributing' | 'finishing' | 'completed' | 'failed' | 'cancelled';
  backend: Backend | null;
}

export const transcriptionProgressQuery = defineQuery<TranscriptionProgress>('progress');

// The older runs' bookkeeping, one activity a step (legacy-activities.ts).
const books = proxyActivities<LegacyTranscriptionActivities>(bookkeeping());

// Beginning and settling a job are quick calls to our own stores (MariaDB,
// Redis, NATS): local activities, run inside the workflow task instead of a
// round trip through the server each. A worker killed mid-step runs the step
// again on the next worker, so both are idempotent as a whole. Beginning picks
// the backend too, so it keeps choosing's bounded retries (a node may come back).
const begin = proxyLocalActivities<TranscriptionActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 6 },
});
const settle = proxyLocalActivities<TranscriptionActivities>(bookkeeping());

// Picking a backend may find none online: retry a while (a node may come back), then give up.
const choose = proxyActivities<LegacyTranscriptionActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 6 },
});

// The backend call streams audio for as long as the engine needs; heartbeats
// prove the worker is alive, so a killed worker's attempt is retried elsewhere
// within the heartbeat timeout instead of after the whole start-to-close.
const dispatchOptions = {
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
} as const;
const dispatch = proxyActivities<TranscriptionActivities>(dispatchOptions);
// While another allowed backend remains, three tries (about 6 s of backoff):
// a blip is ridden out where the job is, on the backend the tenant prefers,
// and a backend still failing is left for the next. The last backend keeps
// the full eight, as a job with one backend always had.
const dispatchBeforeFallback = proxyActivities<TranscriptionActivities>({ ...dispatchOptions, retry: { ...dispatchOptions.retry, maximumAttempts: 3 } });

// Labelling segments streams the audio once more, to a diarization node; a few
// tries, then the transcript is delivered without labels rather than not at all.
const attribute = proxyActivities<SpeakerActivities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 4,
  },
});

/** The two shapes of a job's bookkeeping; the backend steps between them are the same. */
interface Bookkeeping {
  begin(): Promise<Begun>;
  settle(outcome: Outcome): Promise<{ status: string }>;
}

const running = (): void => upsertSearchAttributes([{ key: JobStatusKey, value: 'running' }]);

/** begin and settle as one local activity each: a job costs the server one round trip per backend step. */
const localBookkeeping = (jobId: string): Bookkeeping => ({
  async begin() {
    const begun = await begin.beginTranscriptionJob(jobId);
    if (!begun.terminal) running();
    return begun;
  },
  settle: (outcome) => settle.settleTranscriptionJob(jobId, outcome),
});

/** The seven-activity shape of runs begun before the local steps: kept so they replay. */
const activityBookkeeping = (jobId: string, progress: TranscriptionProgress): Bookkeeping => ({
  async begin() {
    const started = await books.startTranscriptionJob(jobId);
    if (started.terminal) return { ...started, backend: null };
    running();
    // Subscribers learn a job started; runs begun before this event existed replay without it.
    if (patched('transcription-running-event')) await books.publishTranscriptionEvent(started.facts);
    progress.phase = 'choosing_backend';
    return { ...started, backend: await choose.chooseTranscriptionBackend(jobId) };
  },
  async settle(outcome) {
    const facts = await books.finishTranscriptionJob(jobId, outcome);
    if (facts.status === 'completed') await books.recordTranscriptionUsage(facts);
    await books.publishTranscriptionEvent(facts);
    return { status: facts.status };
  },
});

/**
 * The backends in order, under the same job id, moving on when one fails in a
 * way the next may not (domains/scaiecho/failover.ts, the inline path's rule too).
 * The transcript's row records the backend that produced it.
 */
async function transcribeOnFirstThatWorks(jobId: string, backends: Backend[], progress: TranscriptionProgress): Promise<void> {
  for (const [i, backend] of backends.entries()) {
    const last = i === backends.length - 1;
    progress.backend = backend;
    try {
      await (last ? dispatch : dispatchBeforeFallback).transcribeJobAudio(jobId, backend);
      return;
    } catch (err) {
      if (last || isCancellation(err) || !nextBackendMayHelp(failureType(err))) throw err;
      log.warn('transcription backend failed, trying the next allowed one', { jobId, backend, failure: failureType(err) });
    }
  }
}

/**
 * One async transcription job, keyed `scaiecho-transcribe-{jobId}`. Carries
 * only ids and figures: audio stays in S3, the transcript goes straight to
 * MariaDB. Every step is idempotent, so a worker killed anywhere is harmless.
 */
export async function transcriptionJobWorkflow(input: { jobId: string } & SealedFor): Promise<{ status: string }> {
  const { jobId } = input;
  const progress: TranscriptionProgress = { phase: 'starting', backend: null };
  setHandler(transcriptionProgressQuery, () => progress);
  const steps = patched('transcription-local-steps') ? localBookkeeping(jobId) : activityBookkeeping(jobId, progress);

  const finish = async (outcome: Outcome): Promise<{ status: string }> => {
    const { status } = await steps.settle(outcome);
    progress.phase = status as TranscriptionProgress['phase'];
    upsertSearchAttributes([{ key: JobStatusKey, value: status }]);
    return { status };
  };

  try {
    const begun = await steps.begin();
    if (begun.terminal || !begun.backend) return { status: begun.status };

    progress.phase = 'transcribing';
    // Runs begun before failover try their one backend, as they always did.
    const backends = patched('transcription-failover') ? [begun.backend, ...(begun.fallbacks ?? [])] : [begun.backend];
    await transcribeOnFirstThatWorks(jobId, backends, progress);

    // Jobs from before attribution existed never ask for it, so their histories replay down the same path.
    if (begun.attributeSpeakers) {
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
