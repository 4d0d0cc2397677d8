import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { transcriptionJobWorkflow } from './workflows.js';
import { JobKind, JobKindKey, JobStatusKey, TenantIdKey } from '../../lib/temporal/search-attributes.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';

/** The job row exists and its audio is staged; the workflow carries the job id only. */
export function startTranscriptionWorkflow(
  s: Starter,
  t: { tenantId: string; tenantSlug: string },
  jobId: string,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof transcriptionJobWorkflow>> {
  return s.temporal.workflow.start(transcriptionJobWorkflow, {
    taskQueue: s.config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
    workflowId: workflowIds.transcribe(jobId),
    args: [{ jobId }],
    typedSearchAttributes: [
      { key: TenantIdKey, value: t.tenantId },
      { key: JobKindKey, value: JobKind.transcription },
      { key: JobStatusKey, value: 'queued' },
    ],
    staticSummary: `Transcription job ${jobId} (tenant ${t.tenantSlug})`,
  });
}
