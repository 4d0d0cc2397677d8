import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import { checkBudget } from '../lib/accounting/budgets.js';
import { publishJobEvent } from '../lib/scaiecho/job-events.js';
import { recordJobUsage, storeResult, transition, TERMINAL, type JobStatus, type TranscriptionJob } from '../lib/scaiecho/jobs.js';
import { getOrProvisionPolicy, pickBackend, type Backend, type BackendPreference } from '../lib/scaiecho/policy.js';
import { failure } from '../lib/temporal/failures.js';
import type { ActivityDeps } from './deps.js';
import { asFailure, toFailure } from './failures.js';

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
    if (!j) throw failure('JOB_NOT_FOUND', `transcription job ${jobId} does not exist`);
    return j;
  }

  /** Budget and policy as they are now, not as they were at upload: either may have changed since. */
  async function pickFor(j: TranscriptionJob): Promise<Backend> {
    // Checked again at dispatch: other jobs may have used the budget up since this one was queued.
    await asFailure(() => checkBudget(db, deps.redis, j, { requests: 1, audio_ms: j.audioDurationMs ?? 0 }));
    const policy = await getOrProvisionPolicy(db, j.tenantId);
    const availability = await deps.backends.availability();
    return asFailure(async () => pickBackend(policy, j.backendPreference as BackendPreference, availability));
  }

  return {
    /**
     * queued → running, the running event, and the backend to use, in one
     * local activity. Each part may repeat: the move is conditional, the event
     * id is job + status. A job already ended (cancelled while queued) is left alone.
     */
    async beginTranscriptionJob(jobId: string): Promise<{ terminal: boolean; status: string; attributeSpeakers: boolean; backend: Backend | null }> {
      await transition(db, jobId, ['queued'], 'running', { startedAt: new Date() });
      const j = await job(jobId);
      if (TERMINAL.has(j.status)) return { terminal: true, status: j.status, attributeSpeakers: j.attributeSpeakers, backend: null };
      await publishJobEvent(deps.nats.get(), deps.config, j);
      return { terminal: false, status: j.status, attributeSpeakers: j.attributeSpeakers, backend: await pickFor(j) };
    },

    /**
     * The end state, its usage (completed jobs only) and its event, in one
     * local activity. Idempotent as a whole: a job already at an end state
     * keeps it, usage counts once per job id, the event once per job + status.
     */
    async settleTranscriptionJob(jobId: string, outcome: Outcome): Promise<{ status: string }> {
      const from: JobStatus[] = outcome.status === 'completed' ? ['running'] : ['queued', 'running'];
      await transition(db, jobId, from, outcome.status, {
        completedAt: new Date(),
        ...(outcome.reason ? { statusReason: outcome.reason } : {}),
      });
      const j = await job(jobId);
      if (j.status === 'completed') await recordJobUsage(deps.redis, j);
      await publishJobEvent(deps.nats.get(), deps.config, j);
      return { status: j.status };
    },

    /** Runs begun before beginTranscriptionJob and settleTranscriptionJob existed still call these five one by one. */
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

    async chooseTranscriptionBackend(jobId: string): Promise<Backend> {
      return pickFor(await job(jobId));
    },

    /** Streams the staged audio from S3 to the backend and writes the transcript to the job row. */
    async transcribeJobAudio(jobId: string, backend: Backend): Promise<Backend> {
      const ctx = Context.current();
      const j = await job(jobId);
      if (j.status !== 'running') return backend;
      if (!j.audioObjectKey) throw failure('AUDIO_MISSING', `job ${jobId} has no staged audio`);
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
