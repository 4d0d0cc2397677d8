import { z } from 'zod';
import { VARCHAR } from '../../lib/infra/columns.js';
import type { JobDeletion } from '../../lib/generated/prisma/client.js';
import { JOB_STATUSES } from './jobs.js';
import { BACKEND_PREFERENCES, BACKENDS } from './policy.js';

/** A language hint as the job row holds it: a tag like en or en-US. */
export const languageTag = z
  .string()
  .max(VARCHAR.TranscriptionJob.language)
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'must be a language tag like en or en-US' });

/** A transcription job as callers see it (domains/scaiecho/jobs.ts jobView). */

// Loose: a segment is stored as its backend gave it and labelled later; what a
// backend adds beyond these fields reaches the caller as stored.
const segment = z
  .looseObject({
    start_ms: z.number(),
    end_ms: z.number(),
    text: z.string(),
    speaker_id: z.string().nullable().optional().meta({ description: 'present when the job labels speakers: the enrolled speaker heard, or null' }),
    speaker_label: z.string().nullable().optional().meta({ description: "that speaker's display name" }),
  })
  .meta({ id: 'TranscriptSegment' });

export const job = z
  .object({
    job_id: z.string(),
    status: z.enum(JOB_STATUSES),
    status_reason: z.string().nullable().meta({ description: 'why it failed or was cancelled: `TYPE: message`' }),
    is_async: z.boolean(),
    transcript: z.string().nullable(),
    segments: z.array(segment).nullable(),
    backend_preference: z.enum(BACKEND_PREFERENCES),
    backend_used: z.enum(BACKENDS).nullable().meta({ description: 'the backend that produced the transcript: A self-hosted, B the relay' }),
    language: z.string().nullable().meta({ description: 'as asked for' }),
    language_detected: z.string().nullable(),
    audio_sha256: z.string(),
    // Not .int(): zod's integers stop at 2^53, a size need not.
    audio_bytes: z.number().meta({ override: { type: 'integer' } }),
    audio_duration_ms: z.number().int().nullable(),
    created_at: z.iso.datetime(),
    started_at: z.iso.datetime().nullable(),
    completed_at: z.iso.datetime().nullable(),
    poll_url: z.string().optional().meta({ description: 'where to follow a queued job (202 answers only)' }),
  })
  .meta({ id: 'TranscriptionJob' });

/** The receipt of a job's deletion (domains/scaiecho/job-deletions.ts). */
export const jobDeletion = z
  .object({
    job_id: z.string(),
    status: z.enum(['deleting', 'deleted']),
    requested_at: z.string(),
    was_running: z.boolean().meta({ description: 'the job was queued or running: it was cancelled first, and its engine stopped' }),
    audio_deleted: z.boolean().meta({ description: 'the staged audio is gone from storage (true too for a job that had none)' }),
    transcript_deleted: z.boolean(),
    completed_at: z.string().nullable(),
  })
  .meta({ id: 'TranscriptionJobDeletion' });

export function jobDeletionView(d: JobDeletion): z.input<typeof jobDeletion> {
  return {
    job_id: d.jobId,
    status: d.completedAt ? 'deleted' : 'deleting',
    requested_at: d.requestedAt.toISOString(),
    was_running: d.wasRunning,
    audio_deleted: !d.audioObjectKey || !!d.audioDeletedAt,
    transcript_deleted: !!d.completedAt,
    completed_at: d.completedAt?.toISOString() ?? null,
  };
}
