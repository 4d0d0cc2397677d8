import Router from '@koa/router';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { VARCHAR } from '../../lib/infra/columns.js';
import { AppError, notFound } from '../../lib/errors.js';
import { FinishedJobs } from '../../lib/scaiecho/finished-jobs.js';
import { findCallerJob, JOB_STATUSES, jobView, listCallerJobs, TERMINAL } from '../../lib/scaiecho/jobs.js';
import { speakerSelection } from '../../lib/scaiecho/speaker-selection.js';
import { transcriptions, type TranscriptionRequest } from '../../lib/scaiecho/transcribe.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import { clientGone } from '../client-gone.js';
import type { ApiDeps } from '../deps.js';
import { ok } from '../envelope.js';
import { callerOf, requirePermission } from '../middleware/auth.js';
import { receiveMultipart } from '../upload.js';
import { decimalText, parse } from '../validate.js';
import type { ApiState } from '../state.js';

const boolField = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const transcribeFields = z.object({
  language: z
    .string()
    .max(VARCHAR.TranscriptionJob.language)
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'must be a language tag like en or en-US' })
    .optional(),
  backend_preference: z.enum(['prefer_self_hosted', 'prefer_relay', 'any']).default('any'),
  force_async: boolField.default(false),
  temperature: decimalText(z.number().min(0).max(1)).optional(),
  speakers: speakerSelection,
}).transform(
  (f): TranscriptionRequest => ({
    language: f.language,
    backendPreference: f.backend_preference,
    forceAsync: f.force_async,
    temperature: f.temperature,
    speakers: f.speakers,
  }),
);

const listQuery = z.object({
  status: z.enum(JOB_STATUSES).optional(),
  cursor: z.string().max(64).optional(),
  limit: decimalText(z.number().int().min(1).max(100)).default(20),
});

/** How long a poll may answer a finished job from memory (lib/scaiecho/finished-jobs.ts): what a purge or erasure may lag by. */
const FINISHED_JOB_TTL_MS = 1000;

export function scaiechoRoutes(deps: ApiDeps): Router<ApiState> {
  const { db, sql, config } = deps;
  const router = new Router<ApiState>({ prefix: '/v1/modules/scaiecho' });
  const use = requirePermission('scaiecho:use');
  const transcribe = transcriptions(deps);
  const finished = new FinishedJobs(FINISHED_JOB_TTL_MS, 10_000);

  router.post('/transcribe', use, async (ctx) => {
    const gone = clientGone(ctx);
    const upload = await receiveMultipart(ctx, { maxFileBytes: config.env.SCAIWAVE_SCAIECHO_MAX_UPLOAD_BYTES, fileFields: ['file'] }).catch(
      (err: unknown) => {
        ctx.set('Connection', 'close');
        throw err;
      },
    );
    try {
      const file = upload.files.file;
      if (!file) throw new AppError('VALIDATION_ERROR', 'file: an audio file is required');
      const { job, queued } = await transcribe(callerOf(ctx.state), file, parse(transcribeFields, upload.fields), gone);
      if (queued) ok(ctx, jobView(job, { pollUrl: true }), 202);
      else ok(ctx, jobView(job));
    } finally {
      await upload.cleanup();
    }
  });

  router.get('/jobs', use, async (ctx) => {
    const q = parse(listQuery, ctx.query);
    const page = await listCallerJobs(db, callerOf(ctx.state), {
      status: q.status,
      cursor: q.cursor,
      limit: q.limit,
    });
    ok(ctx, { jobs: page.jobs.map((j) => jobView(j)), next_cursor: page.nextCursor });
  });

  router.get('/jobs/:id', use, async (ctx) => {
    const caller = callerOf(ctx.state);
    const job = finished.get(caller, ctx.params.id!) ?? (await findCallerJob(sql, caller, ctx.params.id!));
    if (!job) throw notFound('job');
    finished.remember(caller, job);
    ok(ctx, jobView(job));
  });

  router.post('/jobs/:id/cancel', use, async (ctx) => {
    const caller = callerOf(ctx.state);
    const job = await findCallerJob(sql, caller, ctx.params.id!);
    if (!job) throw notFound('job');
    if (TERMINAL.has(job.status)) throw new AppError('CONFLICT', `the job is already ${job.status}`);
    const handle = deps.temporal.workflow.getHandle(workflowIds.transcribe(job.id));
    try {
      await handle.cancel();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    // A running backend call learns of the cancellation at its next heartbeat; wait a little for the outcome.
    await Promise.race([handle.result().catch(() => undefined), new Promise((r) => setTimeout(r, 15_000))]);
    const after = (await findCallerJob(sql, caller, job.id)) ?? job;
    if (after.status === 'completed' || after.status === 'failed') {
      throw new AppError('CONFLICT', `the job finished (${after.status}) before it could be cancelled`);
    }
    ok(ctx, jobView(after), after.status === 'cancelled' ? 200 : 202);
  });

  return router;
}
