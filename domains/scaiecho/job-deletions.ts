import type { Client } from '@temporalio/client';
import type { Caller } from '../../lib/auth/caller-identity.js';
import type { Config } from '../../lib/config.js';
import { notFound } from '../../lib/errors.js';
import type { JobDeletion } from '../../lib/generated/prisma/client.js';
import type { Db, SqlPool } from '../../lib/infra/db.js';
import { startJobDeletion } from './client.js';
import { findCallerJob, TERMINAL } from './jobs.js';
import { settledWithin } from '../../lib/temporal/settled-within.js';

/** How long a deletion request waits for the workflow before answering that it is on its way. */
const OUTCOME_WAIT_MS = 15_000;

/**
 * Deletes a caller's job: the receipt first (it says what there is to
 * delete, and outlives the job), then the workflow that does it, waited for a
 * little. Asked again, it answers the same receipt: a deletion is done once.
 * Another user's or tenant's job, or receipt, is 404.
 */
export async function deleteCallerJob(
  deps: { db: Db; sql: SqlPool; temporal: Client; config: Config },
  caller: Caller,
  jobId: string,
): Promise<JobDeletion> {
  const mine = (r: JobDeletion | null) => (r && r.tenantId === caller.tenantId && r.requestedByUserId === caller.userId ? r : null);
  let receipt = mine(await deps.db.jobDeletion.findUnique({ where: { jobId } }));
  if (!receipt) {
    const job = await findCallerJob(deps.sql, caller, jobId);
    if (!job) throw notFound('job');
    await deps.db.jobDeletion.createMany({
      data: [{ jobId, tenantId: caller.tenantId, requestedByUserId: caller.userId, wasRunning: !TERMINAL.has(job.status), audioObjectKey: job.audioObjectKey }],
      skipDuplicates: true,
    });
    receipt = mine(await deps.db.jobDeletion.findUnique({ where: { jobId } }));
    if (!receipt) throw notFound('job');
  }
  if (receipt.completedAt) return receipt;
  const handle = await startJobDeletion(deps, caller, jobId);
  await settledWithin(handle, OUTCOME_WAIT_MS);
  return deps.db.jobDeletion.findUniqueOrThrow({ where: { jobId } });
}
