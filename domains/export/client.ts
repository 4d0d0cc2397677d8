import { WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { waveRoomExportWorkflow } from './workflows/room-export.js';
import { waveRoomImportWorkflow } from './workflows/room-import.js';
import { JobKind, runningJobAttributes } from '../../lib/temporal/search-attributes.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';

// The one place the export and import workflows are started. Their inputs are
// ids: the bundle, its files and their names stay in S3 and MariaDB.

/**
 * Starts the export, once: its id is the export's, made when the export was
 * asked for, so a repeated start (a retried request, the schedule's catch-up)
 * attaches to the run that exists.
 */
export async function startRoomExport(s: Starter, e: { id: string; tenantId: string; roomId: string }): Promise<void> {
  await s.temporal.workflow.start(waveRoomExportWorkflow, {
    taskQueue: s.config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
    workflowId: workflowIds.waveRoomExport(e.id),
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: runningJobAttributes(e.tenantId, JobKind.waveRoomExport, e.roomId),
    staticSummary: `Room export ${e.id} of room ${e.roomId}`,
    args: [{ exportId: e.id }],
  });
}

/** Asks the export to stop; it aborts its upload and deletes what it staged. */
export async function cancelRoomExport(s: Starter, exportId: string): Promise<void> {
  await s.temporal.workflow.getHandle(workflowIds.waveRoomExport(exportId)).cancel();
}

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
