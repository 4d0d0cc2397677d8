import type { Db } from '../../lib/infra/db.js';
import type { WaveErasureRequest, WaveUserErasure } from '../../lib/generated/prisma/client.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/infra/ids.js';
import { requestUserErasure, type ErasureMode } from './erasures.js';

// A user's own request to be erased (GDPR Art. 17, asked by the data subject).
// The user files it; a compliance officer approves it, which requests the
// erasure itself (erasures.ts), or rejects it with a reason the user reads.
// The decision is due within the deadline (SCAIWAVE_ERASURE_REQUEST_DEADLINE_SECONDS,
// a month by default); the request's workflow holds that deadline as a durable
// timer and marks the request overdue when it passes undecided. A user has at
// most one open request: open_user_id is their id while it is pending, and the
// unique key on it makes a second filing answer the first.

export const ERASURE_REQUEST_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type ErasureRequestStatus = (typeof ERASURE_REQUEST_STATUSES)[number];

/** Who decides: a compliance officer, or (userId null) an operator through the CLI. */
interface Decider {
  tenantId: string;
  userId: string | null;
}

/** Files the user's request, or answers the one still open (`filed` false then). */
export async function fileErasureRequest(
  db: Db,
  user: { tenantId: string; userId: string },
  deadlineSeconds: number,
): Promise<{ request: WaveErasureRequest; filed: boolean }> {
  const id = newId();
  const now = new Date();
  await db.waveErasureRequest.createMany({
    data: [{ id, tenantId: user.tenantId, userId: user.userId, openUserId: user.userId, requestedAt: now, dueAt: new Date(now.getTime() + deadlineSeconds * 1000) }],
    skipDuplicates: true,
  });
  const request = await db.waveErasureRequest.findUniqueOrThrow({ where: { openUserId: user.userId } });
  return { request, filed: request.id === id };
}

export async function findErasureRequest(db: Db, tenantId: string, requestId: string): Promise<WaveErasureRequest> {
  const r = await db.waveErasureRequest.findFirst({ where: { id: requestId, tenantId } });
  if (!r) throw notFound('erasure request');
  return r;
}

/** The user's latest request, decided or not. */
export async function latestErasureRequest(db: Db, tenantId: string, userId: string): Promise<WaveErasureRequest> {
  const r = await db.waveErasureRequest.findFirst({ where: { tenantId, userId }, orderBy: [{ requestedAt: 'desc' }, { id: 'desc' }] });
  if (!r) throw notFound('erasure request');
  return r;
}

export function listErasureRequests(
  db: Db,
  tenantId: string,
  opts: { status?: ErasureRequestStatus; overdueOnly: boolean; limit: number },
): Promise<WaveErasureRequest[]> {
  return db.waveErasureRequest.findMany({
    where: { tenantId, ...(opts.status && { status: opts.status }), ...(opts.overdueOnly && { status: 'pending', overdueAt: { not: null } }) },
    orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
    take: opts.limit,
  });
}

/** The request a decider may decide: of their tenant, and not their own. */
async function decidableRequest(db: Db, by: Decider, requestId: string): Promise<WaveErasureRequest> {
  const r = await findErasureRequest(db, by.tenantId, requestId);
  if (r.userId === by.userId) throw new AppError('CONFLICT', 'a compliance officer cannot decide their own erasure request; ask another');
  return r;
}

/**
 * Approves a pending request and requests the user's erasure, in one
 * transaction: the conditional update locks the row, so a reject racing it
 * waits and then finds it decided. Approving again answers the first approval.
 */
export async function approveErasureRequest(
  db: Db,
  by: Decider,
  requestId: string,
  decision: { mode: ErasureMode; note?: string },
): Promise<{ request: WaveErasureRequest; erasure: WaveUserErasure }> {
  const r = await decidableRequest(db, by, requestId);
  return db.$transaction(async (tx) => {
    const took = await tx.waveErasureRequest.updateMany({
      where: { id: requestId, status: 'pending' },
      data: { status: 'approved', openUserId: null, decidedById: by.userId, decidedAt: new Date(), decisionNote: decision.note ?? null },
    });
    const now = await tx.waveErasureRequest.findUniqueOrThrow({ where: { id: requestId } });
    if (took.count === 0) {
      if (now.status !== 'approved' || now.erasureId === null) throw new AppError('CONFLICT', `the request was already ${now.status}`);
      return { request: now, erasure: await tx.waveUserErasure.findUniqueOrThrow({ where: { id: now.erasureId } }) };
    }
    const erasure = await requestUserErasure(tx, by, { userId: r.userId }, decision.mode);
    return { request: await tx.waveErasureRequest.update({ where: { id: requestId }, data: { erasureId: erasure.id } }), erasure };
  });
}

/** Rejects a pending request with the reason the user is given; rejecting again answers the first rejection. */
export async function rejectErasureRequest(db: Db, by: Decider, requestId: string, note: string): Promise<WaveErasureRequest> {
  await decidableRequest(db, by, requestId);
  await db.waveErasureRequest.updateMany({
    where: { id: requestId, status: 'pending' },
    data: { status: 'rejected', openUserId: null, decidedById: by.userId, decidedAt: new Date(), decisionNote: note },
  });
  const now = await findErasureRequest(db, by.tenantId, requestId);
  if (now.status !== 'rejected') throw new AppError('CONFLICT', `the request was already ${now.status}`);
  return now;
}

/** The deadline passed: a request still pending is marked overdue (once). Answers whether it was still pending. */
export async function markErasureRequestOverdue(db: Db, requestId: string): Promise<boolean> {
  await db.waveErasureRequest.updateMany({ where: { id: requestId, status: 'pending', overdueAt: null }, data: { overdueAt: new Date() } });
  return (await db.waveErasureRequest.count({ where: { id: requestId, status: 'pending' } })) > 0;
}

export const erasureRequestView = (r: WaveErasureRequest) => ({
  request_id: r.id,
  user_id: r.userId,
  status: r.status as ErasureRequestStatus,
  requested_at: r.requestedAt.toISOString(),
  due_at: r.dueAt.toISOString(),
  overdue_at: r.overdueAt?.toISOString() ?? null,
  decided_by_id: r.decidedById,
  decided_at: r.decidedAt?.toISOString() ?? null,
  decision_note: r.decisionNote,
  erasure_id: r.erasureId,
  erasure_url: r.erasureId ? `/v1/compliance/erasures/${r.erasureId}` : null,
});
