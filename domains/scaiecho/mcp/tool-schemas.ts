import { z } from 'zod';
import { JOB_STATUSES } from '../jobs.js';
import { BACKEND_PREFERENCES, BACKENDS } from '../policy.js';
import { languageTag } from '../schemas.js';

// What the MCP tools take and give, as the SDK lists them (tools/list) and
// checks them. One flat object: the JSON Schema of a tool's input must be an
// object, and a model fills three optional fields more reliably than a union.

export const transcribeInput = {
  audio_base64: z.string().optional().meta({ description: 'the audio file itself, base64 (WAV, FLAC, OGG, MP3), up to SCAIWAVE_MCP_MAX_BASE64_AUDIO_BYTES decoded' }),
  url: z.string().optional().meta({ description: "an http(s) URL of the audio, on one of this deployment's allowed origins" }),
  media_id: z.string().min(1).max(64).optional().meta({ description: 'a file already uploaded to a ScaiWave room the caller may read' }),
  language: languageTag.optional(),
  backend_preference: z.enum(BACKEND_PREFERENCES).default('any'),
  async: z.boolean().default(false).meta({ description: 'queue a job and answer with its id even when the audio is short enough to answer inline' }),
};

export const jobStatusInput = {
  job_id: z.string().min(1).max(64).meta({ description: 'the job_id scaiecho.transcribe answered' }),
};

/** Both tools answer with a job as it stands: its transcript once completed. */
export const transcriptionOutput = {
  job_id: z.string(),
  status: z.enum(JOB_STATUSES),
  text: z.string().nullable().meta({ description: 'the transcript, once completed' }),
  language: z.string().nullable().meta({ description: 'the language detected, else the one asked for' }),
  duration_ms: z.number().int().nullable(),
  backend: z.enum(BACKENDS).nullable().meta({ description: 'the backend that produced the transcript: A self-hosted, B the relay' }),
  status_reason: z.string().nullable().meta({ description: 'why it failed or was cancelled' }),
};
