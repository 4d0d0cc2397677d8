import type { Config } from '../../lib/config.js';
import type { Db, SqlPool } from '../../lib/infra/db.js';
import type { Logger } from '../../lib/infra/logger.js';
import type { NatsHandle } from '../../lib/infra/nats-handle.js';
import type { Redis } from '../../lib/infra/redis.js';
import type { TranscriptionResult } from '../../lib/scaiinfer/stt/types.js';
import { publishJobEvent } from './job-events.js';
import { loadJob, recordJobUsage, resultColumns, transition, type JobStatus, type NewJob, type TranscriptionJob } from './jobs.js';
import type { Backend } from './policy.js';

// How a transcription job ends, inline or async: the end state in MariaDB,
// then its usage (completed jobs only) and its lifecycle event. Every step is
// idempotent, so a worker killed anywhere in settleJob may run it again:
// the move is conditional, usage counts once per job id, the event is stored
// once per job + status.

export interface FinishDeps {
  config: Config;
  db: Db;
  redis: Redis;
  nats: NatsHandle;
}

/** How an async job ended, as its workflow decided. */
export interface Outcome {
  status: Extract<JobStatus, 'completed' | 'failed' | 'cancelled'>;
  reason?: string;
}

/** Moves a running (or still queued, unless completing) job to its end state; a job already ended keeps its own. */
export async function endJob(deps: { db: Db; sql: SqlPool }, jobId: string, outcome: Outcome): Promise<TranscriptionJob> {
  const from: JobStatus[] = outcome.status === 'completed' ? ['running'] : ['queued', 'running'];
  await transition(deps.db, jobId, from, outcome.status, {
    completedAt: new Date(),
    ...(outcome.reason ? { statusReason: outcome.reason } : {}),
  });
  return loadJob(deps.sql, jobId);
}

/** What follows an end state: usage for a completed job, and the event. Each is tried even if the other fails. */
async function announceFinished(deps: FinishDeps, job: TranscriptionJob): Promise<void> {
  const [usage, event] = await Promise.allSettled([
    job.status === 'completed' ? recordJobUsage(deps.redis, job) : undefined,
    (async () => publishJobEvent(deps.nats.get(), deps.config, job))(),
  ]);
  if (usage.status === 'rejected') throw usage.reason;
  if (event.status === 'rejected') throw event.reason;
}

/** The async job's last step: its end state, usage and event. */
export async function settleJob(deps: FinishDeps & { sql: SqlPool }, jobId: string, outcome: Outcome): Promise<{ status: string }> {
  const job = await endJob(deps, jobId, outcome);
  await announceFinished(deps, job);
  return { status: job.status };
}

/**
 * An inline job is written once, already completed. The answer is decided by
 * then: a hiccup in counting or in the event is logged, not turned into a
 * failed request.
 */
export async function recordInlineJob(
  deps: FinishDeps & { logger: Logger },
  row: NewJob,
  done: { backend: Backend; result: TranscriptionResult; startedAt: Date },
): Promise<TranscriptionJob> {
  const job = await deps.db.transcriptionJob.create({
    data: { ...row, status: 'completed', isAsync: false, ...resultColumns(done.backend, done.result), startedAt: done.startedAt, completedAt: new Date() },
  });
  await announceFinished(deps, job).catch((err: unknown) => deps.logger.error({ err, jobId: job.id }, 'usage or job event not recorded'));
  return job;
}
