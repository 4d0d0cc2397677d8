import type { WorkflowHandle } from '@temporalio/client';
import { messagesChangedSignal, waveSearchIndexWorkflow, type MessagesChanged } from './workflows/index.js';
import { waveSearchReindexWorkflow } from './workflows/reindex.js';
import { JobKind, runningJobAttributes } from '../../lib/temporal/search-attributes.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';

// The one place the search workflows are started (a room import's workflow
// starts a reindex as its child, with reindexStart's options). Ids only in
// their inputs and signals: the text is read from MariaDB inside the activities.

/** Tells the tenant's index workflow which messages changed, starting it if it is not running. */
export async function signalMessagesChanged(s: Starter, tenantId: string, change: MessagesChanged): Promise<void> {
  await s.temporal.workflow.signalWithStart(waveSearchIndexWorkflow, {
    taskQueue: s.config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
    workflowId: workflowIds.waveSearchIndex(tenantId),
    args: [{ tenantId }],
    signal: messagesChangedSignal,
    signalArgs: [change],
    typedSearchAttributes: runningJobAttributes(tenantId, JobKind.waveSearchIndex, tenantId),
    staticSummary: `Search indexing of tenant ${tenantId}`,
  });
}

/** What every start of a reindex carries, whoever starts it (the CLI, or a room import's workflow as its child). */
export function reindexStart(scope: { tenantId: string; roomId?: string }) {
  return {
    workflowId: workflowIds.waveSearchReindex(scope.tenantId, scope.roomId),
    args: [scope] as [typeof scope],
    typedSearchAttributes: runningJobAttributes(scope.tenantId, JobKind.waveSearchReindex, scope.roomId ?? scope.tenantId),
    staticSummary: `Search reindex of tenant ${scope.tenantId}${scope.roomId ? ` room ${scope.roomId}` : ''}`,
  };
}

/**
 * A reindex of the tenant (or one room): one already running is the one the
 * caller gets (a CLI started again after a crash watches the same run); a
 * finished one may run again.
 */
export function startReindex(s: Starter, scope: { tenantId: string; roomId?: string }): Promise<WorkflowHandle<typeof waveSearchReindexWorkflow>> {
  return s.temporal.workflow.start(waveSearchReindexWorkflow, {
    ...reindexStart(scope),
    taskQueue: s.config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
