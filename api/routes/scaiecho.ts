import fs from 'node:fs';
import Router from '@koa/router';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { checkBudget } from '../../lib/accounting/budgets.js';
import { audioContentType } from '../../lib/audio/format.js';
import { probeAudio, type AudioProbe } from '../../lib/audio/probe.js';
import type { Caller } from '../../lib/auth/caller.js';
import { VARCHAR } from '../../lib/columns.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { publishJobEvent } from '../../lib/scaiecho/job-events.js';
import {
  audioObjectKey,
  findCallerJob,
  recordJobUsage,
  jobView,
  listCallerJobs,
  resultColumns,
  TERMINAL,
  type TranscriptionJob,
} from '../../lib/scaiecho/jobs.js';
import { getOrProvisionPolicy } from '../../lib/scaiecho/policy.js';
import { attributionColumns, requireSpeakers, speakerSelection } from '../../lib/scaiecho/speaker-selection.js';
import { transcribeNow } from '../../lib/scaiecho/transcribe-now.js';
import { startTranscriptionWorkflow } from '../../lib/scaiecho/transcription-workflow.js';
import { tenantLimits } from '../../lib/tenant-limits.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import { clientGone } from '../client-gone.js';
import type { ApiDeps } from '../deps.js';
import { ok } from '../envelope.js';
import { callerOf, requirePermission } from '../middleware/auth.js';
import type { UploadedFile } from '../upload.js';
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
});

const listQuery = z.object({
  status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']).optional(),
  cursor: z.string().max(64).optional(),
  limit: decimalText(z.number().int().min(1).max(100)).default(20),
});

type Fields = z.output<typeof transcribeFields>;

export function scaiechoRoutes(deps: ApiDeps): Router<ApiState> {
  const { db, config, logger } = deps;
  const e = config.env;
  const router = new Router<ApiState>({ prefix: '/v1/modules/scaiecho' });
  const use = requirePermission('scaiecho:use');
  const limitsOf = tenantLimits(db, config);

  const baseRow = (caller: Caller, file: UploadedFile, probe: AudioProbe, f: Fields) => ({
    id: newId(),
    tenantId: caller.tenantId,
    userId: caller.userId,
    audioSha256: file.sha256,
    audioBytes: BigInt(file.bytes),
    audioDurationMs: probe.durationMs,
    audioFormat: probe.format,
    language: f.language ?? null,
    backendPreference: f.backend_preference,
    temperature: f.temperature ?? null,
    ...attributionColumns(f.speakers),
  });

  async function afterFinish(job: TranscriptionJob): Promise<void> {
    // The answer is already decided; a hiccup in counting or events is logged, not turned into a failed request.
    await recordJobUsage(deps.redis, job).catch((err: unknown) => logger.error({ err, jobId: job.id }, 'usage not recorded'));
    await Promise.resolve()
      .then(() => publishJobEvent(deps.nats.get(), config, job))
      .catch((err: unknown) => logger.error({ err, jobId: job.id }, 'job event not published'));
  }

  async function transcribeSync(caller: Caller, file: UploadedFile, probe: AudioProbe, f: Fields, gone: AbortSignal) {
    const policy = await getOrProvisionPolicy(db, caller.tenantId);
    const startedAt = new Date();
    const { backend, result } = await transcribeNow(
      deps.backends,
      policy,
      f.backend_preference,
      (signal) => ({
        jobId: 'sync',
        audio: fs.createReadStream(file.path),
        format: probe.format,
        language: f.language,
        temperature: f.temperature,
        signal,
      }),
      logger,
      { timeoutMs: e.SCAIWAVE_SCAIECHO_SYNC_TIMEOUT_MS, signal: gone },
    );
    const job = await db.transcriptionJob.create({
      data: {
        ...baseRow(caller, file, probe, f),
        status: 'completed',
        isAsync: false,
        ...resultColumns(backend, result),
        startedAt,
        completedAt: new Date(),
      },
    });
    await afterFinish(job);
    return job;
  }

  /** Stage, record, start: undone in reverse if a later step fails, so nothing is left half-written. */
  async function transcribeAsync(caller: Caller, file: UploadedFile, probe: AudioProbe, f: Fields) {
    const row = baseRow(caller, file, probe, f);
    const key = audioObjectKey(row.id, probe.format);
    const bucket = e.SCAIWAVE_S3_BUCKET;
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: fs.createReadStream(file.path),
        ContentLength: file.bytes,
        ContentType: audioContentType[probe.format],
      }),
    );
    let created = false;
    try {
      const job = await db.transcriptionJob.create({ data: { ...row, status: 'queued', isAsync: true, audioObjectKey: key } });
      created = true;
      await startTranscriptionWorkflow(deps, caller, job.id);
      return job;
    } catch (err) {
      logger.error({ err, jobId: row.id }, 'could not queue transcription job');
      if (created) await db.transcriptionJob.delete({ where: { id: row.id } }).catch(() => undefined);
      await deps.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
      throw new AppError('SERVICE_UNAVAILABLE', 'the job could not be queued; nothing was stored, try again');
    }
  }

  router.post('/transcribe', use, async (ctx) => {
    const caller = callerOf(ctx.state);
    const gone = clientGone(ctx);
    const upload = await receiveMultipart(ctx, { maxFileBytes: e.SCAIWAVE_SCAIECHO_MAX_UPLOAD_BYTES, fileFields: ['file'] }).catch(
      (err: unknown) => {
        ctx.set('Connection', 'close');
        throw err;
      },
    );
    try {
      const file = upload.files.file;
      if (!file) throw new AppError('VALIDATION_ERROR', 'file: an audio file is required');
      const f = parse(transcribeFields, upload.fields);
      await requireSpeakers(db, caller.tenantId, f.speakers);
      const probe = await probeAudio(file.path, file.bytes, { maxDurationMs: (await limitsOf(caller.tenantId)).scaiechoMaxAudioMs });
      // Before anything reaches S3 or a backend: an over-budget caller costs us nothing upstream.
      await checkBudget(db, deps.redis, caller, { requests: 1, audio_ms: probe.durationMs });
      // Attribution means more calls to more nodes after the transcript: the job workflow's work, never inline.
      if (f.force_async || f.speakers || file.bytes > e.SCAIWAVE_SCAIECHO_ASYNC_AUDIO_THRESHOLD_BYTES) {
        ok(ctx, jobView(await transcribeAsync(caller, file, probe, f), { pollUrl: true }), 202);
      } else {
        ok(ctx, jobView(await transcribeSync(caller, file, probe, f, gone)));
      }
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
    const job = await findCallerJob(db, callerOf(ctx.state), ctx.params.id!);
    if (!job) throw notFound('job');
    ok(ctx, jobView(job));
  });

  router.post('/jobs/:id/cancel', use, async (ctx) => {
    const caller = callerOf(ctx.state);
    const job = await findCallerJob(db, caller, ctx.params.id!);
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
    const after = (await findCallerJob(db, caller, job.id)) ?? job;
    if (after.status === 'completed' || after.status === 'failed') {
      throw new AppError('CONFLICT', `the job finished (${after.status}) before it could be cancelled`);
    }
    ok(ctx, jobView(after), after.status === 'cancelled' ? 200 : 202);
  });

  return router;
}
