import {
  condition,
  continueAsNew,
  defineQuery,
  executeChild,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { holdReleasedSignal } from '../holds/signals.js';
import { eraseSpeakerWorkflow } from '../speakers/workflows/erasure.js';
import { JobKind, JobStatusKey, runningJobAttributes } from '../../lib/temporal/search-attributes.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import type { UserErasureActivities } from './activities.js';
import type { BatchOutcome, ErasureStore } from './batch.js';
import type { UserErasureProgress } from './progress.js';
import { COLUMNS_BEFORE_PATCHES, REFERENCE_COLUMN_PATCHES } from './references.js';

export interface UserErasureInput {
  erasureId: string;
  tenantId: string;
  /** where a run continued as new left off */
  progress?: UserErasureProgress;
  /** batches a run does before it continues as new (its history stays small however much the user wrote) */
  batchesPerRun?: number;
}

export const userErasureProgressQuery = defineQuery<UserErasureProgress>('progress');

/** The stores in the order they are erased; the payload keys go last, with the erasure's completion. */
type Phase = Exclude<ErasureStore, 'payload_keys'>;
const PHASES: Phase[] = [
  'identity',
  'scaiecho_jobs',
  'speakers',
  'messages',
  'mentions',
  'reactions',
  'media',
  'events',
  'job_events',
  'accounting',
  'references',
  'exports',
];

/** How long a wait on a hold goes before looking again without being told (a release's signal can be missed). */
const HOLD_RECHECK = '10 minutes';

// No attempt limit: Art. 17 is not best effort. A store that is down is asked
// again until it answers; each batch is safe to repeat (batch.ts).
const steps = proxyActivities<UserErasureActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * `wave-erase-user-{userId}`: the identity first (no key or token of theirs
 * works again), then their jobs (cancelled, then deleted with their audio),
 * their speakers (each erased by its own child workflow), messages, mentions,
 * reactions, media, events, usage, the rows that still name them, and the
 * bundles already stored (listed, or deleted where the tenant's policy
 * says); last, with its completion, the user's payload keys (whatever
 * Temporal keeps sealed under them is unreadable from then on). Before each store it waits while a legal hold keeps the user's
 * data. Each store goes a batch at a time, each batch with its receipt; the
 * run continues as new every `batchesPerRun` batches, carrying where it was.
 * History holds ids and counts only.
 */
export async function eraseUserWorkflow(input: UserErasureInput): Promise<UserErasureProgress> {
  const { erasureId, tenantId } = input;
  const progress: UserErasureProgress = input.progress ?? { phase: 'identity', batch: 0, column: 0, removed: {}, heldBy: [] };
  setHandler(userErasureProgressQuery, () => progress);
  let batchesLeft = input.batchesPerRun ?? 500;
  let released = false;
  setHandler(holdReleasedSignal, () => void (released = true));

  /** Before each store: while a legal hold keeps the user's data, nothing is erased; the UI shows `held`. */
  async function untilNotHeld(): Promise<void> {
    let waited = false;
    for (;;) {
      progress.heldBy = await steps.legalHoldsOnErasedUser(erasureId);
      if (progress.heldBy.length === 0) break;
      if (!waited) upsertSearchAttributes([{ key: JobStatusKey, value: 'held' }]);
      waited = true;
      released = false;
      await condition(() => released, HOLD_RECHECK);
    }
    if (waited) upsertSearchAttributes([{ key: JobStatusKey, value: 'running' }]);
  }

  /** Runs one batch, counts it, and continues as new once this run has done its share. */
  async function batch(store: ErasureStore, run: (n: number) => Promise<BatchOutcome>): Promise<boolean> {
    const o = await run(progress.batch);
    progress.removed[store] = (progress.removed[store] ?? 0) + o.removed;
    progress.batch += 1;
    batchesLeft -= 1;
    if (o.more && (batchesLeft <= 0 || workflowInfo().continueAsNewSuggested)) {
      await continueAsNew<typeof eraseUserWorkflow>({ ...input, progress });
    }
    return o.more;
  }
  const allBatches = async (store: ErasureStore, run: (n: number) => Promise<BatchOutcome>) => {
    while (await batch(store, run));
  };

  const phases: Record<Phase, () => Promise<void>> = {
    identity: () => allBatches('identity', () => steps.eraseUserIdentity(erasureId)),
    scaiecho_jobs: async () => {
      // Cancelling a job's workflow stops its engine and ends the job `cancelled`; one already ended refuses, which is as good.
      const live = await steps.liveJobsOfErasedUser(erasureId);
      await Promise.all(live.map((jobId) => getExternalWorkflowHandle(workflowIds.transcribe(jobId)).cancel().catch(() => undefined)));
      await allBatches('scaiecho_jobs', (n) => steps.deleteErasedUserJobs(erasureId, n));
    },
    speakers: async () => {
      const refs = await steps.requestErasedUserSpeakerErasures(erasureId);
      for (const ref of refs) await eraseSpeaker(tenantId, ref);
      await allBatches('speakers', () => steps.recordErasedUserSpeakers(erasureId, refs));
    },
    messages: () => allBatches('messages', (n) => steps.eraseUserMessages(erasureId, n)),
    mentions: () => allBatches('mentions', (n) => steps.anonymiseUserMentions(erasureId, n)),
    reactions: () => allBatches('reactions', (n) => steps.removeUserReactions(erasureId, n)),
    media: () => allBatches('media', (n) => steps.eraseUserMedia(erasureId, n)),
    events: () => allBatches('events', (n) => steps.rewriteUserRoomEvents(erasureId, n)),
    job_events: () => allBatches('job_events', (n) => steps.eraseUserJobEvents(erasureId, n)),
    accounting: () => allBatches('accounting', () => steps.pseudonymiseUserUsage(erasureId)),
    references: async () => {
      let columns: number = COLUMNS_BEFORE_PATCHES;
      for (const p of REFERENCE_COLUMN_PATCHES) {
        if (!patched(p.patch)) break;
        columns = p.columns;
      }
      for (; progress.column < columns; progress.column++) {
        const column = progress.column;
        while (await batch('references', (n) => steps.pseudonymiseUserColumn(erasureId, n, column)));
      }
    },
    exports: () => allBatches('exports', () => steps.eraseUserBundles(erasureId)),
  };

  for (let i = progress.phase === 'completed' ? PHASES.length : PHASES.indexOf(progress.phase as Phase); i < PHASES.length; i++) {
    if (progress.phase !== PHASES[i]) Object.assign(progress, { phase: PHASES[i]!, batch: 0, column: 0 });
    await untilNotHeld();
    await phases[PHASES[i]!]();
  }
  await steps.completeUserErasure(erasureId);
  progress.phase = 'completed';
  upsertSearchAttributes([{ key: JobStatusKey, value: 'completed' }]);
  return progress;
}

/** A speaker's erasure as a child; one already running (asked for through the API) is waited for instead. */
async function eraseSpeaker(tenantId: string, ref: { erasureId: string; speakerId: string }): Promise<void> {
  try {
    await executeChild(eraseSpeakerWorkflow, {
      workflowId: workflowIds.eraseSpeaker(ref.speakerId),
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: runningJobAttributes(tenantId, JobKind.speakerErasure, ref.speakerId),
      staticSummary: `Speaker erasure ${ref.speakerId}, for a user's erasure`,
      args: [{ erasureId: ref.erasureId }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    await steps.speakerErasureCompleted(ref.erasureId);
  }
}
