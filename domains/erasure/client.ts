import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { JobKind, runningJobAttributes } from '../../lib/temporal/search-attributes.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import type { WaveUserErasure } from '../../lib/generated/prisma/client.js';
import { eraseUserWorkflow, userErasureProgressQuery, type UserErasureProgress } from './workflows.js';

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
