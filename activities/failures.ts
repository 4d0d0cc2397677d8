import { ApplicationFailure, log } from '@temporalio/activity';
import { BackendError } from '../lib/scaiecho/dispatch/errors.js';

/**
 * A node's or relay's failure as Temporal sees it: the error code as the type,
 * retryable only when a retry can help. The message is the plain one, as job
 * and speaker status reasons show it to clients; what the backend said goes to
 * the worker's log.
 */
export function toFailure(err: unknown): unknown {
  if (err instanceof BackendError) {
    log.warn('backend call failed', { backend: err.backend, code: err.code, kind: err.kind, detail: err.message });
    return err.kind === 'permanent'
      ? ApplicationFailure.nonRetryable(err.publicMessage, err.code)
      : ApplicationFailure.retryable(err.publicMessage, err.code);
  }
  return err;
}
