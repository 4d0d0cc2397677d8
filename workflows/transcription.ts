import {
  CancellationScope,
  defineQuery,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { bookkeeping } from './activity-options.js';
import type { Outcome } from '../activities/transcription.js';
import type { Backend } from '../lib/scaiecho/policy.js';
import { JobStatusKey } from '../lib/temporal/search-attributes.js';
import { failureReason } from '../lib/temporal/failures.js';

export interface TranscriptionProgress {
  phase: 'starting' | 'choosing_backend' | 'transcribing' | 'attributing' | 'finishing' | 'completed' | 'failed' | 'cancelled';
  backend: 'A' | 'B' | null;
}

export const transcriptionProgressQuery = defineQuery<TranscriptionProgress>('progress');

const books = proxyActivities<Activities>(bookkeeping());

// Beginning and settling a job are quick calls to our own stores (MariaDB,
// Redis, NATS): local activities, run inside the workflow task instead of a
// round trip through the server each. A worker killed mid-step runs the step
// again on the next worker, so both are idempotent as a whole. Beginning picks
// the backend too, so it keeps choosing's bounded retries (a node may come back).
const begin = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 6 },
});
const settle = proxyLocalActivities<Activities>(bookkeeping());

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

/** What the job's first steps found: an end state already, or the backend to use. */
interface Begun {
  terminal: boolean;
  status: string;
  attributeSpeakers: boolean;
  backend: Backend | null;
}

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
 * One async transcription job, keyed `scaiecho-transcribe-{jobId}`. Carries
 * only ids and figures: audio stays in S3, the transcript goes straight to
 * MariaDB. Every step is idempotent, so a worker killed anywhere is harmless.
 */
export async function transcriptionJobWorkflow(input: { jobId: string }): Promise<{ status: string }> {
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
    progress.backend = await dispatch.transcribeJobAudio(jobId, begun.backend);

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
