import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../../lib/config.js';
import type { Db } from '../../../lib/infra/db.js';
import { failure } from '../../../lib/temporal/failures.js';
import { TERMINAL } from '../../scaiecho/jobs.js';
import { erasureOf, inBatch, type BatchOutcome } from '../batch.js';

const JOB_BATCH = 200;

/** The user's jobs still queued or running: the workflow cancels them (their engines stop) before they are deleted. */
export async function liveJobsOf(deps: { db: Db }, erasureId: string): Promise<string[]> {
  const e = await erasureOf(deps.db, erasureId);
  const jobs = await deps.db.transcriptionJob.findMany({
    where: { tenantId: e.tenantId, userId: e.userId, status: { notIn: [...TERMINAL] } },
    select: { id: true },
  });
  return jobs.map((j) => j.id);
}

/**
 * A batch of the user's ended jobs: staged audio deleted from S3, then the
 * rows with their transcripts. A job still running (its cancellation not
 * through yet) makes the step wait and try again.
 */
export async function deleteJobs(deps: { db: Db; s3: S3Client; config: Config }, erasureId: string, batch: number): Promise<BatchOutcome> {
  return inBatch(deps.db, erasureId, 'scaiecho_jobs', batch, async (tx, e) => {
    const jobs = await tx.transcriptionJob.findMany({
      where: { tenantId: e.tenantId, userId: e.userId },
      select: { id: true, status: true, audioObjectKey: true },
      orderBy: { id: 'asc' },
      take: JOB_BATCH,
    });
    const running = jobs.filter((j) => !TERMINAL.has(j.status));
    if (running.length > 0) throw failure('ERASURE_WAITING', `${running.length} of the user's jobs are still being cancelled`);
    const keys = jobs.flatMap((j) => (j.audioObjectKey ? [j.audioObjectKey] : []));
    if (keys.length > 0) {
      const out = await deps.s3.send(
        new DeleteObjectsCommand({ Bucket: deps.config.env.SCAIWAVE_S3_BUCKET, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
      );
      if (out.Errors && out.Errors.length > 0) throw new Error(`S3 refused to delete ${out.Errors.length} of the user's audio objects`);
    }
    await tx.transcriptionJob.deleteMany({ where: { id: { in: jobs.map((j) => j.id) } } });
    return { removed: jobs.length, more: jobs.length === JOB_BATCH, proof: { job_ids: jobs.map((j) => j.id), object_keys_deleted: keys } };
  });
}
