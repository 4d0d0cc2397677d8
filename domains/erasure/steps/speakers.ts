import type { Db } from '../../../lib/infra/db.js';
import { newId } from '../../../lib/infra/ids.js';
import { failure } from '../../../lib/temporal/failures.js';
import { requestErasure } from '../../speakers/erasures.js';
import { erasureOf, inBatch, type BatchOutcome } from '../batch.js';

export interface SpeakerErasureRef {
  erasureId: string;
  speakerId: string;
}

/**
 * A speaker erasure for every profile the user enrolled (requested under the
 * pseudonym): the one already under way or done, or a new one. The workflow
 * runs each as a child (domains/speakers/workflows/erasure.ts), which removes
 * the voice from S3 and from every node that may hold it.
 */
export async function requestSpeakerErasures(deps: { db: Db }, erasureId: string): Promise<SpeakerErasureRef[]> {
  const e = await erasureOf(deps.db, erasureId);
  const profiles = await deps.db.speakerProfile.findMany({ where: { tenantId: e.tenantId, createdByUserId: e.userId }, select: { id: true, tenantId: true } });
  const out: SpeakerErasureRef[] = [];
  for (const p of profiles) {
    const s = await requestErasure(deps.db, p, { userId: e.pseudonymId }, 'deletion', newId());
    out.push({ erasureId: s.id, speakerId: p.id });
  }
  return out;
}

/** Waits (by failing, to be retried) for a speaker erasure the child could not start because one was already running. */
export async function speakerErasureCompleted(deps: { db: Db }, speakerErasureId: string): Promise<void> {
  const s = await deps.db.speakerErasure.findUnique({ where: { id: speakerErasureId } });
  if (!s) throw failure('ERASURE_NOT_FOUND', `speaker erasure ${speakerErasureId} does not exist`);
  if (s.status !== 'completed') throw failure('ERASURE_WAITING', `speaker erasure ${speakerErasureId} is still running`);
}

export function recordSpeakerErasures(deps: { db: Db }, erasureId: string, done: SpeakerErasureRef[]): Promise<BatchOutcome> {
  return inBatch(deps.db, erasureId, 'speakers', 0, () =>
    Promise.resolve({ removed: done.length, more: false, proof: { speaker_erasures: done.map((d) => ({ erasure_id: d.erasureId, speaker_id: d.speakerId })) } }),
  );
}
