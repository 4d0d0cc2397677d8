import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { transcriptionJobWorkflow } from './workflows.js';
import { JobKind, JobKindKey, JobStatusKey, TenantIdKey } from '../../lib/temporal/search-attributes.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import { sealedFor } from '../../lib/codec/data-subject.js';

/** The job row exists and its audio is staged; the workflow carries the job id only, sealed under its submitter's key. */
export function startTranscriptionWorkflow(
  s: Starter,
  t: { tenantId: string; tenantSlug: string },
  job: { id: string; userId: string },
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof transcriptionJobWorkflow>> {
  return s.temporal.workflow.start(transcriptionJobWorkflow, {
    taskQueue: s.config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
    workflowId: workflowIds.transcribe(job.id),
    args: [{ jobId: job.id, ...sealedFor(t.tenantId, { kind: 'user', id: job.userId }) }],
    typedSearchAttributes: [
      { key: TenantIdKey, value: t.tenantId },
      { key: JobKindKey, value: JobKind.transcription },
      { key: JobStatusKey, value: 'queued' },
    ],
    staticSummary: `Transcription job ${job.id} (tenant ${t.tenantSlug})`,
  });
}
