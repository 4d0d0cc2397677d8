import { recordUsage } from '../accounting/usage.js';
import { fitsVarchar, INT_MAX, VARCHAR } from '../../lib/infra/columns.js';
import type { Db, SqlPool } from '../../lib/infra/db.js';
import type { Redis } from '../../lib/infra/redis.js';
import { failure } from '../../lib/temporal/failures.js';
import type { TranscriptionJob } from '../../lib/generated/prisma/client.js';
import type { Prisma } from '../../lib/generated/prisma/client.js';
import type { BackendId, TranscriptionResult, TranscriptionSegment } from '../../lib/scaiinfer/stt/types.js';
import type { BackendPreference } from './policy.js';
import { selectJob } from './sql.js';

export type { TranscriptionJob };
export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** A job row before it is written: what the caller asked for and what the probe found; the path adds status and the rest. */
export type NewJob = Omit<Prisma.TranscriptionJobUncheckedCreateInput, 'status' | 'isAsync'> & { id: string };

export const audioObjectKey = (jobId: string, ext: string): string => `scaiecho/transcribe_jobs/${jobId}.${ext}`;

/** The columns a caller sees of a job. */
export type ViewedJob = Pick<
  TranscriptionJob,
  | 'id'
  | 'status'
  | 'statusReason'
  | 'isAsync'
  | 'transcript'
  | 'segments'
  | 'backendPreference'
  | 'backendUsed'
  | 'language'
  | 'languageDetected'
  | 'audioSha256'
  | 'audioBytes'
  | 'audioDurationMs'
  | 'createdAt'
  | 'startedAt'
  | 'completedAt'
>;

/** A transcript segment as stored: a job that labels speakers adds who was heard, and a backend may add more. */
type JobSegment = TranscriptionSegment & { speaker_id?: string | null; speaker_label?: string | null } & Record<string, unknown>;

/**
 * The job as callers see it: snake_case, times in ISO-8601 UTC, sizes in bytes, durations in ms.
 * The text columns hold only the values their writers use, named here; the API's response schema checks them on the way out.
 */
export function jobView(j: ViewedJob, opts: { pollUrl?: boolean } = {}) {
  return {
    job_id: j.id,
    status: j.status as JobStatus,
    status_reason: j.statusReason,
    is_async: j.isAsync,
    transcript: j.transcript,
    segments: j.segments as JobSegment[] | null,
    backend_preference: j.backendPreference as BackendPreference,
    backend_used: j.backendUsed as BackendId | null,
    language: j.language,
    language_detected: j.languageDetected,
    audio_sha256: j.audioSha256,
    audio_bytes: Number(j.audioBytes),
    audio_duration_ms: j.audioDurationMs,
    created_at: j.createdAt.toISOString(),
    started_at: j.startedAt?.toISOString() ?? null,
    completed_at: j.completedAt?.toISOString() ?? null,
    ...(opts.pollUrl ? { poll_url: `/v1/modules/scaiecho/jobs/${j.id}` } : {}),
  };
}

/** A job the workflow names; gone means something deleted it, and no retry brings it back. */
export async function loadJob(sql: SqlPool, jobId: string): Promise<TranscriptionJob> {
  const j = await selectJob(sql, jobId);
  if (!j) throw failure('JOB_NOT_FOUND', `transcription job ${jobId} does not exist`);
  return j;
}

/** Another tenant's or another user's job does not exist, as far as the caller can tell. */
export function findCallerJob(sql: SqlPool, caller: { tenantId: string; userId: string }, jobId: string): Promise<TranscriptionJob | null> {
  return selectJob(sql, jobId, caller);
}

/** Newest first; the cursor is the last job id seen (ids are time-ordered). */
export async function listCallerJobs(
  db: Db,
  caller: { tenantId: string; userId: string },
  opts: { status?: JobStatus; cursor?: string; limit: number },
): Promise<{ jobs: TranscriptionJob[]; nextCursor: string | null }> {
  const where: Prisma.TranscriptionJobWhereInput = {
    tenantId: caller.tenantId,
    userId: caller.userId,
    ...(opts.status ? { status: opts.status } : {}),
    ...(opts.cursor ? { id: { lt: opts.cursor } } : {}),
  };
  const rows = await db.transcriptionJob.findMany({ where, orderBy: { id: 'desc' }, take: opts.limit + 1 });
  const page = rows.slice(0, opts.limit);
  return { jobs: page, nextCursor: rows.length > opts.limit ? (page.at(-1)?.id ?? null) : null };
}

/**
 * A backend's answer as job columns. Its figures are the backend's word: one
 * that does not fit its column is left out (the probe's duration stays), so a
 * finished transcription is never lost to a value the row cannot hold.
 */
export function resultColumns(backend: 'A' | 'B', r: TranscriptionResult) {
  const durationFits = Number.isInteger(r.audioDurationMs) && r.audioDurationMs > 0 && r.audioDurationMs <= INT_MAX;
  return {
    transcript: r.text,
    segments: r.segments as unknown as Prisma.InputJsonValue,
    backendUsed: backend,
    languageDetected: r.language !== null && fitsVarchar(r.language, VARCHAR.TranscriptionJob.languageDetected) ? r.language : null,
    ...(durationFits ? { audioDurationMs: r.audioDurationMs } : {}),
  };
}

/** Writes the transcript; conditional on the job still running so a late retry cannot resurrect a cancelled job. */
export async function storeResult(db: Db, jobId: string, backend: 'A' | 'B', r: TranscriptionResult): Promise<boolean> {
  const { count } = await db.transcriptionJob.updateMany({ where: { id: jobId, status: 'running' }, data: resultColumns(backend, r) });
  return count === 1;
}

/** Moves a job between states only along allowed edges; returns whether this call made the move. */
export async function transition(
  db: Db,
  jobId: string,
  from: JobStatus[],
  to: JobStatus,
  extra: Prisma.TranscriptionJobUpdateManyMutationInput = {},
): Promise<boolean> {
  const { count } = await db.transcriptionJob.updateMany({ where: { id: jobId, status: { in: from } }, data: { status: to, ...extra } });
  return count === 1;
}

/** A finished job's audio time, counted once however often this runs: the job id is the event id. */
export function recordJobUsage(redis: Redis, job: TranscriptionJob): Promise<boolean> {
  return recordUsage(redis, {
    eventId: `scaiecho.transcription.${job.id}`,
    tenantId: job.tenantId,
    userId: job.userId,
    kind: 'transcription',
    at: job.completedAt ?? new Date(),
    audioMs: job.audioDurationMs ?? 0,
  });
}
