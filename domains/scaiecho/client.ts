import { WorkflowExecutionAlreadyStartedError, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { deleteTranscriptionJobWorkflow } from './job-deletion-workflow.js';
import { transcriptionJobWorkflow } from './workflows.js';
import { JobKind, JobKindKey, JobStatusKey, runningJobAttributes, TenantIdKey } from '../../lib/temporal/search-attributes.js';
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

/**
 * The receipt exists; the workflow carries the job id only. Asked twice, the
 * running deletion is the one returned; a completed one is never run again.
 */
export function startJobDeletion(
  s: Starter,
  t: { tenantId: string; tenantSlug: string },
  jobId: string,
): Promise<WorkflowHandle<typeof deleteTranscriptionJobWorkflow>> {
  return s.temporal.workflow
    .start(deleteTranscriptionJobWorkflow, {
    taskQueue: s.config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
    workflowId: workflowIds.deleteJob(jobId),
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    args: [{ jobId }],
    typedSearchAttributes: runningJobAttributes(t.tenantId, JobKind.jobDeletion, jobId),
    staticSummary: `Deletion of transcription job ${jobId} (tenant ${t.tenantSlug})`,
    })
    .catch((err: unknown) => {
      // Completed already (a request racing the one that finished it): that run is the answer.
      if (err instanceof WorkflowExecutionAlreadyStartedError) return s.temporal.workflow.getHandle<typeof deleteTranscriptionJobWorkflow>(workflowIds.deleteJob(jobId));
      throw err;
    });
}
