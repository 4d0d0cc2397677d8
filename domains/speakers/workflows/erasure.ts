import { defineQuery, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { SpeakerErasureActivities } from '../activities/erasure.js';
import { JobStatusKey } from '../../../lib/temporal/search-attributes.js';

export interface ErasureProgress {
  phase: 'deleting_blobs' | 'auditing' | 'tombstoning' | 'evicting' | 'completed';
  /** Nodes that have not acknowledged the eviction yet. */
  pending: string[];
}

export const erasureProgressQuery = defineQuery<ErasureProgress>('progress');

const books = proxyActivities<SpeakerErasureActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

// No attempt limit: Art. 17 is not best effort. A node that is down is asked
// again until it answers or an operator removes it from the cluster, which the
// activity notices on its next attempt.
const evict = proxyActivities<SpeakerErasureActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '15 seconds' },
});

/**
 * `scaiecho-erase-speaker-{speakerId}`: blobs gone from S3 → the immutable
 * audit row → the profile tombstoned → EvictSpeaker on every replica that may
 * hold the embedding, each acknowledgement written to the receipt. Every step
 * is idempotent, so a killed worker resumes without doing anything twice.
 */
export async function eraseSpeakerWorkflow(input: { erasureId: string }): Promise<{ status: string }> {
  const { erasureId } = input;
  const progress: ErasureProgress = { phase: 'deleting_blobs', pending: [] };
  setHandler(erasureProgressQuery, () => progress);

  const deleted = await books.deleteSpeakerObjects(erasureId);
  progress.phase = 'auditing';
  await books.writeErasureAudit(erasureId, deleted);
  progress.phase = 'tombstoning';
  await books.tombstoneSpeaker(erasureId);

  progress.phase = 'evicting';
  progress.pending = await books.chooseEvictionTargets(erasureId);
  await Promise.all(
    [...progress.pending].map(async (nodeId) => {
      await evict.evictSpeakerFromNode(erasureId, nodeId);
      progress.pending = progress.pending.filter((n) => n !== nodeId);
    }),
  );

  await books.completeErasure(erasureId);
  progress.phase = 'completed';
  upsertSearchAttributes([{ key: JobStatusKey, value: 'completed' }]);
  return { status: 'completed' };
}
