import type { Db } from '../../lib/infra/db.js';
import type { ErasureAudit, ErasureReceipt, SpeakerErasure } from '../../lib/generated/prisma/client.js';
import { ACTIVE } from './speakers.js';

// GDPR Art. 17 for enrolled speakers. The request is recorded here, once per
// speaker; the work (blobs, audit, tombstone, evictions) is the erasure workflow's.

export const ERASURE_REASONS = ['deletion', 'consent_withdrawn'] as const;
export type ErasureReason = (typeof ERASURE_REASONS)[number];
export const ERASURE_STATUSES = ['running', 'completed'] as const;
type ErasureStatus = (typeof ERASURE_STATUSES)[number];
/** What a node's receipt says: it dropped the speaker, never held it, or was removed from the cluster by an operator. */
export const EVICTION_OUTCOMES = ['evicted', 'not_held', 'node_removed'] as const;
export type EvictionOutcome = (typeof EVICTION_OUTCOMES)[number];
type ErasureWithReceipt = SpeakerErasure & { audit: ErasureAudit | null; receipts: ErasureReceipt[]; tombstonedAt: Date | null };

/**
 * The speaker's erasure: the one already requested, or a new one. The
 * speaker stops being sent to nodes or used for attribution in the same
 * transaction. Withdrawing consent is recorded even when an erasure exists.
 */
export async function requestErasure(
  db: Db,
  speaker: { id: string; tenantId: string },
  by: { userId: string },
  reason: ErasureReason,
  newErasureId: string,
): Promise<SpeakerErasure> {
  return db.$transaction(async (tx) => {
    if (reason === 'consent_withdrawn') {
      await tx.speakerConsent.updateMany({
        where: { speakerId: speaker.id, withdrawnAt: null },
        data: { withdrawnAt: new Date(), withdrawnByUserId: by.userId },
      });
    }
    // INSERT IGNORE on the unique speaker id: of two concurrent requests, both read the one row.
    await tx.speakerErasure.createMany({
      data: [{ id: newErasureId, tenantId: speaker.tenantId, speakerId: speaker.id, reason, requestedByUserId: by.userId }],
      skipDuplicates: true,
    });
    await tx.speakerProfile.updateMany({
      where: { id: speaker.id, enrollmentStatus: { in: [...ACTIVE] } },
      data: { enrollmentStatus: 'erasing' },
    });
    return tx.speakerErasure.findUniqueOrThrow({ where: { speakerId: speaker.id } });
  });
}

export async function findTenantErasure(db: Db, tenantId: string, erasureId: string): Promise<ErasureWithReceipt | null> {
  const erasure = await db.speakerErasure.findFirst({ where: { id: erasureId, tenantId }, include: { speaker: { select: { erasedAt: true } } } });
  if (!erasure) return null;
  const [audit, receipts] = await Promise.all([
    db.erasureAudit.findUnique({ where: { id: erasureId } }),
    db.erasureReceipt.findMany({ where: { erasureId }, orderBy: { acknowledgedAt: 'asc' } }),
  ]);
  const { speaker, ...row } = erasure;
  return { ...row, audit, receipts, tombstonedAt: speaker.erasedAt };
}

/** Progress and the receipt: per node, when it acknowledged the eviction. */
export function erasureView(e: ErasureWithReceipt) {
  const targets = (e.evictionTargets as string[] | null) ?? null;
  const acknowledged = new Set(e.receipts.map((r) => r.nodeId));
  return {
    erasure_id: e.id,
    speaker_id: e.speakerId,
    reason: e.reason as ErasureReason,
    status: e.status as ErasureStatus,
    requested_at: e.requestedAt.toISOString(),
    audited_at: e.audit?.createdAt.toISOString() ?? null,
    tombstoned_at: e.tombstonedAt?.toISOString() ?? null,
    completed_at: e.completedAt?.toISOString() ?? null,
    objects_deleted: (e.audit?.deletedObjects as string[] | undefined)?.length ?? null,
    /** null until the workflow has chosen the nodes to evict from */
    pending_node_ids: targets ? targets.filter((n) => !acknowledged.has(n)) : null,
    receipt: e.receipts.map((r) => ({ node_id: r.nodeId, outcome: r.outcome as EvictionOutcome, acknowledged_at: r.acknowledgedAt.toISOString() })),
    payload_keys_destroyed: (e.payloadKeysDestroyed as string[] | null) ?? null,
    poll_url: `/v1/modules/scaiecho/erasures/${e.id}`,
  };
}
