import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import { beginJob, type Begun } from './begin-job.js';
import { settleJob, type Outcome } from './finish-job.js';
import { loadJob, storeResult } from './jobs.js';
import type { Backend } from './policy.js';
import type { SttBackends } from './backends.js';
import { failure } from '../../lib/temporal/failures.js';
import type { ActivityDeps } from '../../lib/temporal/activity-deps.js';
import { asFailure, toFailure } from '../../lib/temporal/activity-failures.js';

// A cancelled job learns of it only from a heartbeat's reply, so the engine on the
// node stops at most about a beat plus the worker's heartbeat throttle after the cancel.
const HEARTBEAT_MS = 1000;

/** A transcription step reaches the STT backends beside the clients every activity has. */
export type TranscriptionDeps = ActivityDeps & { backends: SttBackends };

// The async job's steps over the job's lifecycle (begin-job.ts,
// finish-job.ts): each an outside call, throwing named failures.
export function transcriptionActivities(deps: TranscriptionDeps) {
  const { db } = deps;

  return {
    /** queued → running, its event and the backends to try, as one local activity (begin-job.ts). */
    beginTranscriptionJob(jobId: string): Promise<Begun> {
      return asFailure(() => beginJob(deps, jobId));
    },

    /** The end state, its usage and its event, as one local activity (finish-job.ts). */
    settleTranscriptionJob(jobId: string, outcome: Outcome): Promise<{ status: string }> {
      return settleJob(deps, jobId, outcome);
    },

    /** Streams the staged audio from S3 to the backend and writes the transcript to the job row. */
    async transcribeJobAudio(jobId: string, backend: Backend): Promise<Backend> {
      const ctx = Context.current();
      const j = await loadJob(deps.sql, jobId);
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
  };
}

/** What a workflow proxies: the steps this file defines. */
export type TranscriptionActivities = ReturnType<typeof transcriptionActivities>;
