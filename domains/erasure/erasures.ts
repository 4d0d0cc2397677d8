import type { WaveUserErasure, WaveUserErasureReceipt } from '../../lib/generated/prisma/client.js';
import type { ErasureStore } from './batch.js';
import type { UserErasureProgress } from './progress.js';
import type { Db } from '../../lib/infra/db.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/infra/ids.js';
import { erasedSubject } from '../../lib/tenancy/user-fields.js';

// GDPR Art. 17 for a whole user. The request is recorded here, once per user;
// the work is the erasure workflow's (domains/erasure/workflows.ts). Every row
// that keeps naming the user (a tombstone, a membership, a usage figure) names
// their pseudonym instead: the erased user's own row in `users`, blanked, whose
// subject is a hash of the ScaiKey subject, so neither identity sync nor a
// token of the same person brings the profile back.

export const ERASURE_MODES = ['redact', 'delete'] as const;
export type ErasureMode = (typeof ERASURE_MODES)[number];
export const ERASURE_STATUSES = ['running', 'completed'] as const;
export type ErasureStatus = (typeof ERASURE_STATUSES)[number];

/** Whom to erase: our user id, or the ScaiKey subject a compliance team knows them by. */
export type ErasureSubject = { userId: string } | { scaikeySubject: string };

/**
 * The user's erasure: the one already requested (whatever mode it was asked
 * with), or a new one. A user of another tenant does not exist, as far as the
 * caller can tell. Local users (made here, not synced from ScaiKey) are people
 * too and are erased the same way.
 */
export async function requestUserErasure(
  /** the client, or a transaction that approves the user's own request with it (requests.ts) */
  db: Pick<Db, 'user' | 'waveUserErasure'>,
  /** who asks: a compliance officer, or (userId null) an operator through the CLI */
  by: { tenantId: string; userId: string | null },
  subject: ErasureSubject,
  mode: ErasureMode,
): Promise<WaveUserErasure> {
  const user = await db.user.findFirst({
    where: 'userId' in subject ? { id: subject.userId, tenantId: by.tenantId } : { scaikeySubject: subject.scaikeySubject, tenantId: by.tenantId },
  });
  // Once erased (or while being erased), the row is the pseudonym under a hashed subject: the erasure is found by either.
  const erased = user || 'userId' in subject ? null : await db.user.findFirst({ where: { tenantId: by.tenantId, scaikeySubject: erasedSubject(by.tenantId, subject.scaikeySubject) } });
  const knownId = user?.id ?? ('userId' in subject ? subject.userId : null);
  const existing = erased
    ? await db.waveUserErasure.findFirst({ where: { pseudonymId: erased.id } })
    : knownId !== null
      ? await db.waveUserErasure.findUnique({ where: { userId: knownId } })
      : null;
  if (existing) {
    if (existing.tenantId !== by.tenantId) throw notFound('user');
    return existing;
  }
  if (!user || user.status === 'erased') throw notFound('user');
  if (user.id === by.userId) throw new AppError('CONFLICT', 'a compliance officer cannot erase themselves; ask another');
  // INSERT IGNORE on the unique user id: of two concurrent requests, both read the one row.
  await db.waveUserErasure.createMany({
    data: [{ id: newId(), tenantId: by.tenantId, userId: user.id, pseudonymId: newId(), mode, requestedById: by.userId }],
    skipDuplicates: true,
  });
  return db.waveUserErasure.findUniqueOrThrow({ where: { userId: user.id } });
}

export async function findErasure(db: Db, tenantId: string, erasureId: string): Promise<WaveUserErasure> {
  const e = await db.waveUserErasure.findFirst({ where: { id: erasureId, tenantId } });
  if (!e) throw notFound('erasure');
  return e;
}

export function listErasures(db: Db, tenantId: string, limit: number): Promise<WaveUserErasure[]> {
  return db.waveUserErasure.findMany({ where: { tenantId }, orderBy: [{ requestedAt: 'desc' }, { id: 'desc' }], take: limit });
}

export const receiptsOf = (db: Db, erasureId: string): Promise<WaveUserErasureReceipt[]> =>
  db.waveUserErasureReceipt.findMany({ where: { erasureId }, orderBy: [{ recordedAt: 'asc' }, { store: 'asc' }, { batch: 'asc' }] });

/** One receipt per store: the batches' counts summed, their proofs side by side. */
function storeReceipts(receipts: WaveUserErasureReceipt[]) {
  const byStore = new Map<string, { store: ErasureStore; removed: number; batches: number; proof: Record<string, unknown>[]; recorded_at: string }>();
  for (const r of receipts) {
    const s = byStore.get(r.store) ?? { store: r.store as ErasureStore, removed: 0, batches: 0, proof: [], recorded_at: r.recordedAt.toISOString() };
    s.removed += r.removed;
    s.batches += 1;
    s.proof.push(r.detail as Record<string, unknown>);
    s.recorded_at = r.recordedAt.toISOString();
    byStore.set(r.store, s);
  }
  return [...byStore.values()];
}

export function erasureView(e: WaveUserErasure, receipts: WaveUserErasureReceipt[], progress: UserErasureProgress | null) {
  return {
    erasure_id: e.id,
    user_id: e.userId,
    pseudonym_id: e.pseudonymId,
    mode: e.mode as ErasureMode,
    status: e.status as ErasureStatus,
    requested_by_id: e.requestedById,
    requested_at: e.requestedAt.toISOString(),
    completed_at: e.completedAt?.toISOString() ?? null,
    progress: progress && { phase: progress.phase, batch: progress.batch, removed: progress.removed, held_by: progress.heldBy ?? [] },
    receipts: storeReceipts(receipts),
    poll_url: `/v1/compliance/erasures/${e.id}`,
  };
}
