import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { ScaiGridErrorCode } from '../failure-codes.js';

// Every way a ScaiGrid call can fail, sorted by the one question a caller has:
// can asking again help (transient), or will the same request fail the same way
// (permanent)? The client has already retried the transient ones before it
// throws them; a Temporal activity may still retry later, and must not retry
// the permanent ones (lib/temporal/failures.ts lists the same codes).

export class ScaiGridError extends Error {
  override readonly name = 'ScaiGridError';

  constructor(
    readonly code: ScaiGridErrorCode,
    /** Whether a later attempt may succeed. */
    readonly transient: boolean,
    message: string,
    /** ScaiGrid's HTTP status, when it answered. */
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

// Said by OpenAI-compatible servers of an input or a batch too large to embed.
const TOO_LARGE_CODES = new Set(['too_many_inputs', 'context_length_exceeded', 'string_above_max_length']);

/** What an error from the OpenAI SDK means for us (the SDK retried what it could). */
export function classifySdkError(err: unknown): ScaiGridError {
  if (err instanceof APIConnectionTimeoutError) {
    return new ScaiGridError('SCAIGRID_TIMEOUT', true, 'ScaiGrid did not answer in time', undefined, { cause: err });
  }
  if (err instanceof APIConnectionError) {
    const cause = err.cause instanceof Error ? `: ${(err.cause as NodeJS.ErrnoException).code ?? err.cause.message}` : '';
    return new ScaiGridError('SCAIGRID_UNAVAILABLE', true, `ScaiGrid unreachable${cause}`, undefined, { cause: err });
  }
  if (!(err instanceof APIError) || err.status === undefined) {
    return new ScaiGridError('SCAIGRID_BAD_ANSWER', true, `ScaiGrid call failed: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
  }
  const status = err.status;
  const code = typeof err.code === 'string' ? err.code : undefined;
  // Status, code and request id only: ScaiGrid's own message may quote the key or the input,
  // and failure messages end up in Temporal's history in clear. No cause, for the same reason.
  const says = `ScaiGrid answered ${status}${code ? ` ${code}` : ''}${err.requestID ? ` (request ${err.requestID})` : ''}`;
  const error = (c: ScaiGridErrorCode, transient: boolean): ScaiGridError => new ScaiGridError(c, transient, says, status);
  if (status === 401 || status === 403) return error('SCAIGRID_UNAUTHORIZED', false);
  if (status === 404 && code === 'model_not_found') return error('SCAIGRID_MODEL_NOT_FOUND', false);
  if (status === 413 || (status === 400 && code !== undefined && TOO_LARGE_CODES.has(code))) return error('SCAIGRID_TOO_LARGE', false);
  if (status === 408 || status === 504) return error('SCAIGRID_TIMEOUT', true);
  if (status === 409 || status === 429 || status >= 500) return error('SCAIGRID_UNAVAILABLE', true);
  // Any other 4xx, a wrong URL included: our request is wrong, and stays wrong.
  return error('SCAIGRID_REJECTED', false);
}
