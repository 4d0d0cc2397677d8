import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { ActivityDeps } from '../../lib/temporal/activity-deps.js';
import { failure } from '../../lib/temporal/failures.js';
import { TERMINAL } from './jobs.js';

// The steps of a job's deletion, each keyed by the job id and a no-op once done:
// the receipt (mod_scaiecho_job_deletion) says what is gone already.
export function jobDeletionActivities(deps: ActivityDeps) {
  const { db } = deps;

  const live = async (jobId: string): Promise<boolean> => {
    const job = await db.transcriptionJob.findUnique({ where: { id: jobId }, select: { status: true } });
    return !!job && !TERMINAL.has(job.status);
  };

  return {
    jobStillLive: live,

    /** Retried until the cancelled job's workflow has written its end state. */
    async awaitJobEnded(jobId: string): Promise<void> {
      if (await live(jobId)) throw failure('JOB_STILL_RUNNING', `job ${jobId} is still being cancelled`);
    },

    async deleteJobAudio(jobId: string): Promise<void> {
      const receipt = await db.jobDeletion.findUniqueOrThrow({ where: { jobId } });
      if (!receipt.audioObjectKey || receipt.audioDeletedAt) return;
      // Deleting an object already gone succeeds: a retry after a kill is harmless.
      await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.config.env.SCAIWAVE_S3_BUCKET, Key: receipt.audioObjectKey }));
      await db.jobDeletion.updateMany({ where: { jobId, audioDeletedAt: null }, data: { audioDeletedAt: new Date() } });
    },

    /** The row, transcript and segments with it, and the receipt completed, in one transaction. */
    async deleteJobRecord(jobId: string): Promise<void> {
      await db.$transaction([
        db.transcriptionJob.deleteMany({ where: { id: jobId } }),
        db.jobDeletion.updateMany({ where: { jobId, completedAt: null }, data: { completedAt: new Date() } }),
      ]);
    },
  };
}

export type JobDeletionActivities = ReturnType<typeof jobDeletionActivities>;
