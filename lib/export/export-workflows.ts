import { waveRoomExportWorkflow } from '../../workflows/wave-room-export.js';
import { JobKind, runningJobAttributes } from '../temporal/search-attributes.js';
import type { Starter } from '../temporal/starter.js';
import { workflowIds } from '../temporal/workflow-ids.js';

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
