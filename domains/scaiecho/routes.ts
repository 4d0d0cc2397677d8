import { z } from 'zod';
import { VARCHAR } from '../../lib/infra/columns.js';
import { notFound } from '../../lib/errors.js';
import { cancelJob } from './cancel-job.js';
import { FinishedJobs } from './finished-jobs.js';
import { findCallerJob, JOB_STATUSES, jobView, listCallerJobs } from './jobs.js';
import { BACKEND_PREFERENCES } from './policy.js';
import { speakerSelection } from '../speakers/speaker-selection.js';
import { transcriptions } from './transcribe.js';
import { clientGone } from '../../lib/http/client-gone.js';
import type { SttBackends } from './backends.js';
import type { RouteDeps } from '../../lib/http/route-deps.js';
import { callerOf } from '../../lib/http/auth.js';
import { operation } from '../../lib/http/operation.js';
import { deleteCallerJob } from './job-deletions.js';
import { job, jobDeletion, jobDeletionView } from './schemas.js';
import { boolField, decimalText } from '../../lib/http/validate.js';

const transcribeFields = z.strictObject({
  language: z
    .string()
    .max(VARCHAR.TranscriptionJob.language)
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'must be a language tag like en or en-US' })
    .optional(),
  backend_preference: z.enum(BACKEND_PREFERENCES).default('any'),
  force_async: boolField.default(false).meta({ description: 'queue the job (202) even when it could be answered inline' }),
  temperature: decimalText(z.number().min(0).max(1)).optional(),
  speakers: speakerSelection.meta({ description: '`true` for any of the tenant\'s ready speakers, or their ids, comma-separated: label segments with who speaks (always async)' }),
});

const listQuery = z.object({
  status: z.enum(JOB_STATUSES).optional(),
  cursor: z.string().max(64).optional().meta({ description: 'next_cursor of the previous page' }),
  limit: decimalText(z.number().int().min(1).max(100)).default(20),
});

const jobId = z.object({ id: z.string().meta({ description: 'the job id' }) });

/** How long a poll may answer a finished job from memory (domains/scaiecho/finished-jobs.ts): what a purge or erasure may lag by. */
const FINISHED_JOB_TTL_MS = 1000;

/** Transcription routes reach the STT backends beside what every route has. */
export type TranscriptionRouteDeps = RouteDeps & { backends: SttBackends };

export function scaiechoRoutes(deps: TranscriptionRouteDeps) {
  const { db, sql, config } = deps;
  const transcribe = transcriptions(deps);
  const finished = new FinishedJobs(FINISHED_JOB_TTL_MS, 10_000);
  const tag = 'scaiecho';
  const permission: ['scaiecho:use'] = ['scaiecho:use'];

  return [
    operation({
      method: 'post',
      path: '/v1/modules/scaiecho/transcribe',
      operationId: 'transcribe',
      summary: 'Transcribe an audio file',
      description:
        'A short recording without speaker labelling is answered inline (200); anything else, or `force_async=true`, is queued (202 with `poll_url`). ' +
        'Before any backend is called: 400 AUDIO_UNDECODABLE for a header that cannot be right, 413 AUDIO_TOO_LONG past the longest audio allowed, 402 BUDGET_EXCEEDED past the tenant\'s budget. ' +
        'Inline, 504 UPSTREAM_TIMEOUT past the time bound.',
      tag,
      permission,
      body: {
        fields: transcribeFields,
        files: { file: 'an audio file' },
        maxFileBytes: config.env.SCAIWAVE_SCAIECHO_MAX_UPLOAD_BYTES,
      },
      responses: {
        200: { description: 'transcribed inline', data: job },
        202: { description: 'queued: follow `poll_url`', data: job },
      },
      errors: ['AUDIO_UNDECODABLE', 'BUDGET_EXCEEDED', 'AUDIO_TOO_LONG', 'SERVICE_UNAVAILABLE', 'BACKEND_UNAVAILABLE', 'UPSTREAM_TIMEOUT'],
      idempotent: {
        resource: (reply) => reply.data.job_id,
        replay: async (ctx, { status, resourceId }) => {
          const found = await findCallerJob(sql, callerOf(ctx.state), resourceId);
          if (!found) throw notFound('job');
          return status === 202 ? { status: 202 as const, data: jobView(found, { pollUrl: true }) } : { status: 200 as const, data: jobView(found) };
        },
      },
    }).handle(async (ctx, { body: { fields: f, files } }) => {
      const request = {
        language: f.language,
        backendPreference: f.backend_preference,
        forceAsync: f.force_async,
        temperature: f.temperature,
        speakers: f.speakers,
      };
      const { job: j, queued } = await transcribe(callerOf(ctx.state), files.file!, request, clientGone(ctx));
      return queued ? { status: 202, data: jobView(j, { pollUrl: true }) } : { status: 200, data: jobView(j) };
    }),
    operation({
      method: 'get',
      path: '/v1/modules/scaiecho/jobs',
      operationId: 'listJobs',
      summary: "The caller's transcription jobs, newest first",
      tag,
      permission,
      query: listQuery,
      responses: { 200: { description: 'a page of jobs', data: z.object({ jobs: z.array(job), next_cursor: z.string().nullable() }) } },
    }).handle(async (ctx, { query }) => {
      const page = await listCallerJobs(db, callerOf(ctx.state), query);
      return { status: 200, data: { jobs: page.jobs.map((j) => jobView(j)), next_cursor: page.nextCursor } };
    }),
    operation({
      method: 'get',
      path: '/v1/modules/scaiecho/jobs/:id',
      operationId: 'getJob',
      summary: 'A transcription job of the caller',
      description: "Another user's or tenant's job is 404.",
      tag,
      permission,
      params: jobId,
      responses: { 200: { description: 'the job', data: job } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => {
      const caller = callerOf(ctx.state);
      const found = finished.get(caller, params.id) ?? (await findCallerJob(sql, caller, params.id));
      if (!found) throw notFound('job');
      finished.remember(caller, found);
      return { status: 200, data: jobView(found) };
    }),
    operation({
      method: 'post',
      path: '/v1/modules/scaiecho/jobs/:id/cancel',
      operationId: 'cancelJob',
      summary: 'Cancel a queued or running job',
      description: 'Waits a little for the outcome: 200 when cancelled, 202 when the cancellation is still on its way; 409 when the job finished first.',
      tag,
      permission,
      params: jobId,
      responses: {
        200: { description: 'cancelled', data: job },
        202: { description: 'the cancellation is on its way', data: job },
      },
      errors: ['NOT_FOUND', 'CONFLICT'],
    }).handle(async (ctx, { params }) => {
      const { settled, job } = await cancelJob(deps, callerOf(ctx.state), params.id);
      return settled ? { status: 200, data: jobView(job) } : { status: 202, data: jobView(job) };
    }),
    operation({
      method: 'delete',
      path: '/v1/modules/scaiecho/jobs/:id',
      operationId: 'deleteJob',
      summary: 'Delete a job: its transcript and its audio',
      description:
        'A queued or running job is cancelled first, and its engine stops. Waits a little for the outcome: 200 with the receipt once the transcript and the audio are gone, ' +
        '202 while the deletion is on its way. Asked again, it answers the same receipt; the job itself is 404 from then on.',
      tag,
      permission,
      params: jobId,
      responses: {
        200: { description: 'deleted: the receipt', data: jobDeletion },
        202: { description: 'the deletion is on its way', data: jobDeletion },
      },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => {
      const receipt = await deleteCallerJob(deps, callerOf(ctx.state), params.id);
      if (receipt.completedAt) finished.forget(params.id);
      return receipt.completedAt ? { status: 200, data: jobDeletionView(receipt) } : { status: 202, data: jobDeletionView(receipt) };
    }),
  ];
}
