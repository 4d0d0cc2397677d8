import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { checkBudget } from '../lib/accounting/budgets.js';
import { AppError } from '../lib/errors.js';
import { publishJobEvent } from '../lib/scaiecho/job-events.js';
import { recordJobUsage, storeResult, transition, TERMINAL, type JobStatus, type TranscriptionJob } from '../lib/scaiecho/jobs.js';
import { getOrProvisionPolicy, pickBackend, type Backend, type BackendPreference } from '../lib/scaiecho/policy.js';
import type { ActivityDeps } from './deps.js';
import { toFailure } from './failures.js';

export interface Outcome {
  status: Extract<JobStatus, 'completed' | 'failed' | 'cancelled'>;
  reason?: string;
}

/** What later steps need to know about a finished job: ids and figures, no content. */
export interface JobFacts {
  jobId: string;
  tenantId: string;
  userId: string;
  status: string;
}

// A cancelled job learns of it only from a heartbeat's reply, so the engine on the
// node stops at most about a beat plus the worker's heartbeat throttle after the cancel.
const HEARTBEAT_MS = 1000;

export function transcriptionActivities(deps: ActivityDeps) {
  const { db } = deps;

  async function job(jobId: string): Promise<TranscriptionJob> {
    const j = await db.transcriptionJob.findUnique({ where: { id: jobId } });
    if (!j) throw ApplicationFailure.nonRetryable(`transcription job ${jobId} does not exist`, 'JobNotFound');
    return j;
  }

  return {
    async startTranscriptionJob(
      jobId: string,
    ): Promise<{ terminal: boolean; status: string; attributeSpeakers: boolean; facts: JobFacts }> {
      await transition(db, jobId, ['queued'], 'running', { startedAt: new Date() });
      const j = await job(jobId);
      return {
        terminal: TERMINAL.has(j.status),
        status: j.status,
        attributeSpeakers: j.attributeSpeakers,
        facts: { jobId, tenantId: j.tenantId, userId: j.userId, status: j.status },
      };
    },

    /** The tenant's policy as it is now, not as it was at upload: it may have changed since. */
    async chooseTranscriptionBackend(jobId: string): Promise<Backend> {
      const j = await job(jobId);
      // Checked again at dispatch: other jobs may have used the budget up since this one was queued.
      await checkBudget(db, deps.redis, j, { requests: 1, audio_ms: j.audioDurationMs ?? 0 }).catch((err: unknown) => {
        throw err instanceof AppError && err.code === 'BUDGET_EXCEEDED' ? ApplicationFailure.nonRetryable(err.message, err.code) : err;
      });
      const policy = await getOrProvisionPolicy(db, j.tenantId);
      try {
        return pickBackend(policy, j.backendPreference as BackendPreference, await deps.backends.availability());
      } catch (err) {
        throw ApplicationFailure.retryable((err as Error).message, 'BACKEND_UNAVAILABLE');
      }
    },

    /** Streams the staged audio from S3 to the backend and writes the transcript to the job row. */
    async transcribeJobAudio(jobId: string, backend: Backend): Promise<Backend> {
      const ctx = Context.current();
      const j = await job(jobId);
      if (j.status !== 'running') return backend;
      if (!j.audioObjectKey) throw ApplicationFailure.nonRetryable(`job ${jobId} has no staged audio`, 'AUDIO_MISSING');
      let progress = { chunksSent: 0, deltas: 0 };
      const beat = setInterval(() => ctx.heartbeat(progress), HEARTBEAT_MS);
      try {
        const dispatcher = await deps.backends.dispatcher(backend);
        const object = await deps.s3.send(
          new GetObjectCommand({ Bucket: deps.config.env.SCAIWAVE_S3_BUCKET, Key: j.audioObjectKey }),
          { abortSignal: ctx.cancellationSignal },
        );
        const result = await dispatcher.transcribe({
          jobId,
          audio: object.Body as AsyncIterable<Uint8Array>,
          format: j.audioFormat ?? 'wav',
          language: j.language ?? undefined,
          temperature: j.temperature ?? undefined,
          signal: ctx.cancellationSignal,
          onProgress: (p) => {
            progress = p;
            ctx.heartbeat(p);
          },
        });
        await storeResult(db, jobId, backend, result);
        return backend;
      } catch (err) {
        throw toFailure(err);
      } finally {
        clearInterval(beat);
      }
    },

    /** Idempotent: a job already at an end state keeps it, and its facts are returned again. */
    async finishTranscriptionJob(jobId: string, outcome: Outcome): Promise<JobFacts> {
      const from: JobStatus[] = outcome.status === 'completed' ? ['running'] : ['queued', 'running'];
      await transition(db, jobId, from, outcome.status, {
        completedAt: new Date(),
        ...(outcome.reason ? { statusReason: outcome.reason } : {}),
      });
      const j = await job(jobId);
      return { jobId, tenantId: j.tenantId, userId: j.userId, status: j.status };
    },

    async recordTranscriptionUsage(facts: JobFacts): Promise<void> {
      await recordJobUsage(deps.redis, await job(facts.jobId));
    },

    async publishTranscriptionEvent(facts: JobFacts): Promise<void> {
      await publishJobEvent(deps.nats.get(), deps.config, await job(facts.jobId));
    },
  };
}
