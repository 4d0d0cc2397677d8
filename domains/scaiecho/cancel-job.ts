import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { AppError, notFound } from '../../lib/errors.js';
import type { SqlPool } from '../../lib/infra/db.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import { findCallerJob, TERMINAL, type ViewedJob } from './jobs.js';
import { settledWithin } from '../../lib/temporal/settled-within.js';

/** How long a cancel waits for the workflow's outcome before answering that it is on its way. */
const OUTCOME_WAIT_MS = 15_000;

interface CancelOutcome {
  /** false: asked, but the workflow had not settled within the wait */
  settled: boolean;
  job: ViewedJob;
}

/**
 * Cancels a caller's queued or running job: asks its workflow to cancel and
 * waits a little, since a running backend call learns of the cancellation at
 * its next heartbeat. A job already finished, or finishing first, is a
 * conflict; a workflow already gone leaves the row to say what happened.
 */
export async function cancelJob(deps: { sql: SqlPool; temporal: Client }, caller: { tenantId: string; userId: string }, jobId: string): Promise<CancelOutcome> {
  const found = await findCallerJob(deps.sql, caller, jobId);
  if (!found) throw notFound('job');
  if (TERMINAL.has(found.status)) throw new AppError('CONFLICT', `the job is already ${found.status}`);
  const handle = deps.temporal.workflow.getHandle(workflowIds.transcribe(found.id));
  try {
    await handle.cancel();
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  await settledWithin(handle, OUTCOME_WAIT_MS);
  const after = (await findCallerJob(deps.sql, caller, found.id)) ?? found;
  if (after.status === 'completed' || after.status === 'failed') {
    throw new AppError('CONFLICT', `the job finished (${after.status}) before it could be cancelled`);
  }
  return { settled: after.status === 'cancelled', job: after };
}
