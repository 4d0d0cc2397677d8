import { z } from 'zod';
import type { AppError, ErrorCode } from '../../../lib/errors.js';

// OpenAI's error body, {"error": {"message", "type", "param", "code"}}, for
// every refusal under /oai/v1 (api/middleware/error-envelope.ts picks it by
// path): an OpenAI client parses it as its APIError. The HTTP status is ours
// (lib/failure-codes.ts); `type` is OpenAI's class of error for it, `code`
// OpenAI's name where it has one, else ours in its lower case.

const OPENAI_CODES: Partial<Record<ErrorCode, string>> = {
  UNAUTHORIZED: 'invalid_api_key',
  RATE_LIMITED: 'rate_limit_exceeded',
  BUDGET_EXCEEDED: 'insufficient_quota',
};

function typeOf(e: AppError): string {
  if (e.code === 'BUDGET_EXCEEDED') return 'insufficient_quota';
  if (e.code === 'RATE_LIMITED') return 'requests';
  if (e.code === 'FORBIDDEN') return 'permission_error';
  return e.status >= 500 ? 'server_error' : 'invalid_request_error';
}

/** The first field a refusal names (lib/http/validate.ts puts them in `details.fields`). */
function paramOf(e: AppError): string | null {
  const fields = e.details?.fields;
  const first = Array.isArray(fields) ? (fields[0] as { field?: unknown } | undefined) : undefined;
  return typeof first?.field === 'string' ? first.field : null;
}

export function openAiErrorBody(e: AppError) {
  const param = paramOf(e);
  const code = e.code === 'NOT_FOUND' && param === 'model' ? 'model_not_found' : (OPENAI_CODES[e.code] ?? e.code.toLowerCase());
  return { error: { message: e.message, type: typeOf(e), param, code } };
}

/** The same body, for the OpenAPI document. */
export const openAiError = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string().meta({ description: '`invalid_request_error`, `insufficient_quota` (402), `requests` (429), `permission_error` (403) or `server_error` (5xx)' }),
      param: z.string().nullable().meta({ description: 'the request field at fault, when one is' }),
      code: z.string().meta({ description: "OpenAI's code where it has one (`invalid_api_key`, `model_not_found`, `insufficient_quota`, `rate_limit_exceeded`), else the failure code in lower case (`audio_too_long`)" }),
    }),
  })
  .meta({ id: 'OpenAiError' });
