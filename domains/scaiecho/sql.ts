import type { TranscriptionJob } from '../../lib/generated/prisma/client.js';
import type { Prisma } from '../../lib/generated/prisma/client.js';
import type { SqlPool } from '../../lib/infra/db.js';

/**
 * ScaiEcho's one hand-written statement: a job by primary key, which every
 * poll and every step of a job's workflow reads. It goes through the driver
 * rather than Prisma (lib/infra/db.ts): one round trip of its own SQL. Every
 * other ScaiEcho read and write goes through Prisma.
 */

interface JobRow {
  id: string;
  tenant_id: string;
  user_id: string;
  status: string;
  status_reason: string | null;
  is_async: number;
  audio_sha256: string;
  audio_bytes: bigint;
  audio_duration_ms: number | null;
  audio_object_key: string | null;
  audio_format: string | null;
  language: string | null;
  language_detected: string | null;
  backend_preference: string;
  backend_used: string | null;
  temperature: number | null;
  transcript: string | null;
  segments: string | null;
  attribute_speakers: number;
  speaker_ids: string | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

// Every text column compares byte for byte (utf8mb4_nopad_bin), so `id = ?` matches only the very id.
const JOB_SQL =
  'SELECT id, tenant_id, user_id, status, status_reason, is_async, audio_sha256, audio_bytes, audio_duration_ms, ' +
  'audio_object_key, audio_format, language, language_detected, backend_preference, backend_used, temperature, ' +
  'transcript, segments, attribute_speakers, speaker_ids, created_at, updated_at, started_at, completed_at ' +
  'FROM mod_scaiecho_transcription_job WHERE id = ?';

const json = (text: string | null): Prisma.JsonValue => (text === null ? null : (JSON.parse(text) as Prisma.JsonValue));

/**
 * The job, or null; with an owner, only that tenant's and user's job (anyone
 * else's does not exist, as far as they can tell). JSON comes as text and is
 * parsed here, whatever the server's metadata says of the column.
 */
export async function selectJob(sql: SqlPool, jobId: string, owner?: { tenantId: string; userId: string }): Promise<TranscriptionJob | null> {
  const [text, values] = owner
    ? [`${JOB_SQL} AND tenant_id = ? AND user_id = ?`, [jobId, owner.tenantId, owner.userId]]
    : [JOB_SQL, [jobId]];
  const [r] = await sql.query<JobRow[]>({ sql: text, autoJsonMap: false }, values);
  if (!r) return null;
  return {
    id: r.id,
    tenantId: r.tenant_id,
    userId: r.user_id,
    status: r.status,
    statusReason: r.status_reason,
    isAsync: r.is_async !== 0,
    audioSha256: r.audio_sha256,
    audioBytes: BigInt(r.audio_bytes),
    audioDurationMs: r.audio_duration_ms,
    audioObjectKey: r.audio_object_key,
    audioFormat: r.audio_format,
    language: r.language,
    languageDetected: r.language_detected,
    backendPreference: r.backend_preference,
    backendUsed: r.backend_used,
    temperature: r.temperature,
    transcript: r.transcript,
    segments: json(r.segments),
    attributeSpeakers: r.attribute_speakers !== 0,
    speakerIds: json(r.speaker_ids),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    completedAt: r.completed_at,
  };
}
