import { condition, defineQuery, defineSignal, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { SpeakerActivities } from '../activities/enrollment.js';
import { bookkeeping } from '../../../lib/temporal/activity-options.js';
import { JobStatusKey } from '../../../lib/temporal/search-attributes.js';
import { failureReason } from '../../../lib/temporal/failures.js';
import type { SealedFor } from '../../../lib/codec/data-subject.js';

// Speaker enrollment and re-warm. Both carry only the speaker id: the
// recordings and the embedding stay in S3, and activities fetch them there.

export interface SpeakerProgress {
  phase: 'awaiting_upload' | 'embedding' | 'fanning_out' | 'settling' | 'done' | 'abandoned';
  /** The nodes the embedding goes to, once chosen. */
  targets: string[];
  accepted: string[];
  /** Node id → why it did not take the speaker. */
  failed: Record<string, string>;
}

export const speakerProgressQuery = defineQuery<SpeakerProgress>('progress');
/** From the enrollment route: the profile, the consent and both recordings are stored. */
export const speakerStoredSignal = defineSignal('stored');
/** From the enrollment route: storing failed part-way; clean up. */
export const speakerAbandonedSignal = defineSignal('abandoned');

// The enrollment route stores everything within seconds; past this window it died mid-way.
const UPLOAD_WINDOW = '10 minutes';

const books = proxyActivities<SpeakerActivities>(bookkeeping());

// The embedding needs one node; when none is online, a few tries over some
// seconds, then the speaker stays pending and the reason says why.
const embed = proxyActivities<SpeakerActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 4,
  },
});

// One node's acceptance, retried on its own; a node that stays down only costs its own share.
const accept = proxyActivities<SpeakerActivities>({
  startToCloseTimeout: '20 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumAttempts: 4,
  },
});

/**
 * `scaiecho-enroll-{speakerId}`. Started by the route before it stores
 * anything, so whatever happens to the route, this workflow either fans the
 * speaker out or removes what the route had stored: never an orphan.
 */
export async function enrollSpeakerWorkflow(input: { speakerId: string } & SealedFor): Promise<{ status: string }> {
  const { speakerId } = input;
  const progress: SpeakerProgress = { phase: 'awaiting_upload', targets: [], accepted: [], failed: {} };
  setHandler(speakerProgressQuery, () => progress);
  // Widened on purpose: the signal handlers change it behind the compiler's back.
  let upload = 'waiting' as 'waiting' | 'stored' | 'abandoned';
  const settleUpload = (outcome: 'stored' | 'abandoned') => () => {
    if (upload === 'waiting') upload = outcome;
  };
  setHandler(speakerStoredSignal, settleUpload('stored'));
  setHandler(speakerAbandonedSignal, settleUpload('abandoned'));

  // No word from the route: the database tells whether it got as far as the rows.
  const signalled = await condition(() => upload !== 'waiting', UPLOAD_WINDOW);
  const stored = signalled ? upload === 'stored' : await books.speakerProfileStored(speakerId);
  if (!stored) {
    await books.discardSpeakerUpload(speakerId);
    progress.phase = 'abandoned';
    upsertSearchAttributes([{ key: JobStatusKey, value: 'abandoned' }]);
    return { status: 'abandoned' };
  }
  return warmUp(speakerId, progress);
}

/** `scaiecho-warm-{speakerId}`: the same fan-out again, to every node online now. */
export async function rewarmSpeakerWorkflow(input: { speakerId: string } & SealedFor): Promise<{ status: string }> {
  const progress: SpeakerProgress = { phase: 'embedding', targets: [], accepted: [], failed: {} };
  setHandler(speakerProgressQuery, () => progress);
  return warmUp(input.speakerId, progress);
}

/**
 * Reference recording → embedding (one read of the audio, one node) → every
 * online node in parallel, best effort → the profile says ready if any node
 * holds the speaker, else pending with the reason.
 */
async function warmUp(speakerId: string, progress: SpeakerProgress): Promise<{ status: string }> {
  progress.phase = 'embedding';
  let reason: string;
  try {
    await embed.computeSpeakerEmbedding(speakerId);
    progress.phase = 'fanning_out';
    progress.targets = await books.listDiarizationNodes();
    await Promise.all(
      progress.targets.map(async (nodeId) => {
        try {
          await accept.acceptSpeakerOnNode(speakerId, nodeId);
          progress.accepted.push(nodeId);
        } catch (err) {
          progress.failed[nodeId] = failureReason(err);
        }
      }),
    );
    reason =
      progress.targets.length === 0
        ? 'no diarization node is online'
        : `no diarization node accepted the speaker (${Object.entries(progress.failed).map(([n, why]) => `${n}: ${why}`).join('; ')})`;
  } catch (err) {
    reason = `no embedding could be computed (${failureReason(err)})`;
  }
  progress.phase = 'settling';
  const { status } = await books.settleSpeakerStatus(speakerId, `${reason}; re-warm the speaker once a node is back`);
  progress.phase = 'done';
  upsertSearchAttributes([{ key: JobStatusKey, value: status }]);
  return { status };
}
