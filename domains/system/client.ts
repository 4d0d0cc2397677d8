import { randomUUID } from 'node:crypto';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { systemCheckWorkflow } from './workflows.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';

/** A fresh round trip each time: an operator's check never attaches to an earlier one. */
export function startSystemCheck(s: Starter): Promise<WorkflowHandleWithFirstExecutionRunId<typeof systemCheckWorkflow>> {
  return s.temporal.workflow.start(systemCheckWorkflow, {
    taskQueue: s.config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
    workflowId: workflowIds.systemCheck(randomUUID()),
    workflowExecutionTimeout: '30 seconds',
    staticSummary: 'Operator system check: API → Temporal → worker → MariaDB/Redis',
  });
}
