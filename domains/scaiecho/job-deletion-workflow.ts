import { getExternalWorkflowHandle, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { JobStatusKey } from '../../lib/temporal/search-attributes.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import type { JobDeletionActivities } from './job-deletion-activities.js';

// Each step is one quick statement or S3 call: a worker that died mid-step is noticed, and the step retried, within seconds.
const steps = proxyActivities<JobDeletionActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * `scaiecho-delete-job-{jobId}`: a job still queued or running is cancelled
 * (its engine stops with it) and waited for; then its staged audio goes from
 * S3, its row with the transcript from MariaDB, and the receipt is completed.
 * Each step is safe to repeat, so a killed worker resumes without doing
 * anything twice.
 */
export async function deleteTranscriptionJobWorkflow(input: { jobId: string }): Promise<{ status: string }> {
  const { jobId } = input;
  if (await steps.jobStillLive(jobId)) {
    // A job that ended meanwhile refuses the cancellation, which is as good.
    await getExternalWorkflowHandle(workflowIds.transcribe(jobId))
      .cancel()
      .catch(() => undefined);
    await steps.awaitJobEnded(jobId);
  }
  await steps.deleteJobAudio(jobId);
  await steps.deleteJobRecord(jobId);
  upsertSearchAttributes([{ key: JobStatusKey, value: 'completed' }]);
  return { status: 'completed' };
}
