import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AppError } from '../../../lib/errors.js';
import type { Logger } from '../../../lib/infra/logger.js';
import type { JobStatus, ViewedJob } from '../jobs.js';
import type { Backend } from '../policy.js';

/** A job as both tools answer it: a line a model can read, and the same facts structured (tool-schemas.ts transcriptionOutput). */
export function jobResult(j: ViewedJob): CallToolResult {
  const structured = {
    job_id: j.id,
    status: j.status as JobStatus,
    text: j.transcript,
    language: j.languageDetected ?? j.language,
    duration_ms: j.audioDurationMs,
    backend: j.backendUsed as Backend | null,
    status_reason: j.statusReason,
  };
  return { content: [{ type: 'text', text: sentence(structured) }], structuredContent: structured };
}

function sentence(j: { job_id: string; status: JobStatus; text: string | null; status_reason: string | null }): string {
  switch (j.status) {
    case 'completed':
      return j.text ?? '';
    case 'queued':
    case 'running':
      return `Transcription job ${j.job_id} is ${j.status}; call scaiecho.job_status with job_id "${j.job_id}" until it is completed.`;
    default:
      return `Transcription job ${j.job_id} ${j.status}: ${j.status_reason ?? 'no reason given'}`;
  }
}

/**
 * What went wrong, as a tool error (isError) the caller's model can act on:
 * our error code and its plain message, never a transport failure. Anything
 * that is not one of ours is logged and told as INTERNAL_ERROR without its text.
 */
export function toolError(err: unknown, logger: Logger): CallToolResult {
  if (err instanceof AppError) return { isError: true, content: [{ type: 'text', text: `${err.code}: ${err.message}` }], _meta: { 'scaiwave/error_code': err.code } };
  logger.error({ err }, 'MCP tool failed');
  return { isError: true, content: [{ type: 'text', text: 'INTERNAL_ERROR: the tool failed; try again later' }], _meta: { 'scaiwave/error_code': 'INTERNAL_ERROR' } };
}
