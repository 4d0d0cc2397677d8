import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { JobKind, runningJobAttributes } from '../../lib/temporal/search-attributes.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import type { WaveErasureRequest, WaveUserErasure } from '../../lib/generated/prisma/client.js';
import { erasureRequestDecidedSignal, erasureRequestWorkflow } from './request-workflow.js';
import type { UserErasureProgress } from './progress.js';
import { eraseUserWorkflow, userErasureProgressQuery } from './workflows.js';

/**
 * The one place a user's erasure is started. Idempotent: a running erasure is
 * attached to, a completed one is never run again, and one that failed or was
 * terminated starts afresh (its receipts make every batch done before a no-op).
 * Ids only, in the summary too: no name, no email.
 */
export async function startUserErasure(s: Starter, e: Pick<WaveUserErasure, 'id' | 'tenantId' | 'userId'>, opts: { batchesPerRun?: number } = {}): Promise<void> {
  try {
    await s.temporal.workflow.start(eraseUserWorkflow, {
      taskQueue: s.config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
      workflowId: workflowIds.eraseUser(e.userId),
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: runningJobAttributes(e.tenantId, JobKind.userErasure, e.id),
      staticSummary: `User erasure ${e.id}`,
      args: [{ erasureId: e.id, tenantId: e.tenantId, ...opts }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** Where a running erasure is; null once it completed, or while its workflow cannot answer (the receipts still tell). */
export async function userErasureProgress(s: Starter, e: Pick<WaveUserErasure, 'userId' | 'status'>): Promise<UserErasureProgress | null> {
  if (e.status !== 'running') return null;
  return s.temporal.workflow
    .getHandle(workflowIds.eraseUser(e.userId))
    .query(userErasureProgressQuery)
    .catch(() => null);
}

/** Starts the deadline of a user's own erasure request; filing again attaches to it. */
export async function startErasureRequest(s: Starter, r: Pick<WaveErasureRequest, 'id' | 'tenantId' | 'dueAt'>): Promise<void> {
  try {
    await s.temporal.workflow.start(erasureRequestWorkflow, {
      taskQueue: s.config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
      workflowId: workflowIds.erasureRequest(r.id),
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: runningJobAttributes(r.tenantId, JobKind.erasureRequest, r.id),
      staticSummary: `Erasure request ${r.id}`,
      args: [{ requestId: r.id, dueAt: r.dueAt.toISOString() }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** After a decision: the request's deadline stops. One that already ended (overdue, then decided) has nothing to stop. */
export async function announceErasureRequestDecided(s: Starter, requestId: string): Promise<void> {
  await s.temporal.workflow
    .getHandle(workflowIds.erasureRequest(requestId))
    .signal(erasureRequestDecidedSignal)
    .catch(() => undefined);
}
