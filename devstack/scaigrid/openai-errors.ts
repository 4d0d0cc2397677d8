// Errors as OpenAI-compatible APIs answer them, ScaiGrid's /oai/v1 router
// included: {"error": {"message", "type", "param", "code"}} with the HTTP status.
// OpenAI's own SDK reads type and code from this body, and retries on the status.

export type OpenAiErrorType = 'invalid_request_error' | 'authentication_error' | 'requests' | 'server_error';

export class OpenAiError extends Error {
  constructor(
    readonly status: number,
    readonly type: OpenAiErrorType,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  get body(): { error: { message: string; type: OpenAiErrorType; param: string | null; code: string } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const invalidRequest = (message: string, param: string | null = null, code = 'invalid_request'): OpenAiError =>
  new OpenAiError(400, 'invalid_request_error', code, message, param);

/** What an injected failure answers with, by the status the test chose. */
export function injectedFailure(status: number, retryAfterSeconds: number | undefined): OpenAiError {
  const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
  if (status === 429) return new OpenAiError(429, 'requests', 'rate_limit_exceeded', 'fault injected: rate limit reached', null, headers);
  if (status === 500) return new OpenAiError(500, 'server_error', 'internal_error', 'fault injected: internal error', null, headers);
  return new OpenAiError(status, 'server_error', 'service_unavailable', 'fault injected: service unavailable', null, headers);
}

/** The statuses the admin port lets a test choose for injected failures. */
export const INJECTABLE_STATUSES = [429, 500, 502, 503, 504] as const;
