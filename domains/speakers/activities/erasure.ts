import { Prisma } from '../../../lib/generated/prisma/client.js';
import { destroySubjectKeys } from '../../../lib/codec/payload-keys.js';
import { withDiarizeNode } from '../../../lib/scaiinfer/diarize/client.js';
import type { EvictionOutcome as Outcome } from '../erasures.js';
import { ENGINE_DIARIZE } from '../../../lib/scaiinfer/node-registry.js';
import { deleteSpeakerObjects } from '../speakers.js';
import { WarmRegistry } from '../warm-registry.js';
import { failure } from '../../../lib/temporal/failures.js';
import type { ActivityDeps } from '../../../lib/temporal/activity-deps.js';

// The steps of a speaker erasure, each keyed by the erasure id and safe to run
// again: deleting what is gone, inserting what exists (INSERT IGNORE: the audit
// tables refuse UPDATE, so a retry must never try one), evicting what was evicted.


export function speakerErasureActivities(deps: ActivityDeps) {
  const { db, s3, registry } = deps;
  const warm = new WarmRegistry(deps.redis);

  async function erasure(erasureId: string) {
    const e = await db.speakerErasure.findUnique({ where: { id: erasureId }, include: { speaker: { include: { consent: true } } } });
    if (!e) throw failure('ERASURE_NOT_FOUND', `erasure ${erasureId} does not exist`);
    return e;
  }

  async function receipt(erasureId: string, nodeId: string, outcome: Outcome, acknowledgedAt: Date): Promise<void> {
    await db.erasureReceipt.createMany({ data: [{ erasureId, nodeId, outcome, acknowledgedAt }], skipDuplicates: true });
  }

  return {
    /** Returns the keys removed, so the audit can name them. */
    async deleteSpeakerObjects(erasureId: string): Promise<string[]> {
      const { speaker } = await erasure(erasureId);
      return deleteSpeakerObjects(s3, deps.config.env.SCAIWAVE_S3_BUCKET, speaker.id, [
        speaker.referenceObjectKey,
        speaker.consent?.recordingObjectKey,
      ]);
    },

    async writeErasureAudit(erasureId: string, deletedObjects: string[]): Promise<void> {
      const e = await erasure(erasureId);
      await db.erasureAudit.createMany({
        data: [
          {
            id: e.id,
            tenantId: e.tenantId,
            speakerId: e.speakerId,
            reason: e.reason,
            requestedByUserId: e.requestedByUserId,
            requestedAt: e.requestedAt,
            deletedObjects,
          },
        ],
        skipDuplicates: true,
      });
    },

    /** The row stays, so ids in transcripts and receipts still resolve; nothing personal stays in it. */
    async tombstoneSpeaker(erasureId: string): Promise<void> {
      const { speakerId } = await erasure(erasureId);
      await db.$transaction([
        db.speakerProfile.updateMany({
          where: { id: speakerId, enrollmentStatus: { not: 'erased' } },
          data: { enrollmentStatus: 'erased', displayName: null, statusReason: null, referenceObjectKey: null, quality: Prisma.DbNull, erasedAt: new Date() },
        }),
        db.speakerConsent.updateMany({ where: { speakerId }, data: { recordingObjectKey: null } }),
      ]);
    },

    /**
     * Every node that may hold the embedding: what the registry knows of, and
     * every diarization node online now in case the registry missed one.
     * Chosen once and kept, so a retry or a later poll sees the same set.
     */
    async chooseEvictionTargets(erasureId: string): Promise<string[]> {
      const e = await erasure(erasureId);
      if (Array.isArray(e.evictionTargets)) return e.evictionTargets as string[];
      const online = (await registry.online(ENGINE_DIARIZE)).map((n) => n.nodeId);
      const targets = [...new Set([...(await warm.mayHold(e.speakerId)), ...online])].sort();
      await db.speakerErasure.update({ where: { id: erasureId }, data: { evictionTargets: targets } });
      return targets;
    },

    /**
     * One node's eviction; the acknowledgement time goes on the receipt. Every
     * failure stays retryable: the workflow keeps asking until the node answers
     * or an operator removes it from the cluster.
     */
    async evictSpeakerFromNode(erasureId: string, nodeId: string): Promise<Outcome> {
      const { speakerId } = await erasure(erasureId);
      const removedAt = await registry.removedAt(nodeId);
      let outcome: Outcome = 'node_removed';
      if (!removedAt) {
        const node = await registry.find(nodeId);
        if (!node) throw failure('NODE_OFFLINE', `diarization node ${nodeId} is offline; asking again until it returns or is removed`);
        const { wasHeld } = await withDiarizeNode(node.address, deps.config.env.SCAIWAVE_SCAIECHO_DIARIZE_TIMEOUT_MS, (c) => c.evictSpeaker(speakerId));
        outcome = wasHeld ? 'evicted' : 'not_held';
      }
      await receipt(erasureId, nodeId, outcome, removedAt ?? new Date());
      await warm.evicted(speakerId, nodeId);
      return outcome;
    },

    /**
     * Last, once nothing needs the speaker's payloads any more: their keys are
     * destroyed in the transaction that completes the erasure, and the receipt
     * names them; every history holding this speaker's payloads is unreadable
     * from then on. A repeat finds the erasure completed and changes nothing.
     */
    async completeErasure(erasureId: string): Promise<void> {
      const { speakerId } = await erasure(erasureId);
      await warm.forget(speakerId);
      await db.$transaction(async (tx) => {
        const done = await tx.speakerErasure.findUnique({ where: { id: erasureId }, select: { status: true } });
        if (done?.status !== 'running') return;
        const destroyed = await destroySubjectKeys(tx, { scope: 'speaker', id: speakerId });
        await tx.speakerErasure.update({ where: { id: erasureId }, data: { status: 'completed', completedAt: new Date(), payloadKeysDestroyed: destroyed } });
      });
    },
  };
}

/** What a workflow proxies: the steps this file defines. */
export type SpeakerErasureActivities = ReturnType<typeof speakerErasureActivities>;
