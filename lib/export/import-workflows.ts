import { WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { waveRoomImportWorkflow } from '../../workflows/wave-room-import.js';
import { JobKind, runningJobAttributes } from '../temporal/search-attributes.js';
import type { Starter } from '../temporal/starter.js';
import { workflowIds } from '../temporal/workflow-ids.js';

// The one place the import workflow is started. Its input is the import's id:
// the bundle, its files and their names stay in S3 and MariaDB.

/**
 * Idempotent: a running import is attached to, a finished one is left as it
 * is, one that failed (or was terminated) runs again, from its verification.
 */
export async function startImport(s: Starter, t: { tenantId: string; tenantSlug: string }, importId: string): Promise<WorkflowHandle<typeof waveRoomImportWorkflow>> {
  const workflowId = workflowIds.waveRoomImport(importId);
  try {
    return await s.temporal.workflow.start(waveRoomImportWorkflow, {
      taskQueue: s.config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
      workflowId,
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: runningJobAttributes(t.tenantId, JobKind.waveRoomImport, importId),
      staticSummary: `Room import ${importId} (tenant ${t.tenantSlug})`,
      args: [{ importId }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return s.temporal.workflow.getHandle(workflowId);
  }
}
