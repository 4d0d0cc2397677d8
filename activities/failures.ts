import { ApplicationFailure } from '@temporalio/activity';
import { BackendError } from '../lib/scaiecho/dispatch/errors.js';

/** A node's or relay's failure as Temporal sees it: the error code as the type, retryable only when a retry can help. */
export function toFailure(err: unknown): unknown {
  if (err instanceof BackendError) {
    return err.kind === 'permanent'
      ? ApplicationFailure.nonRetryable(err.message, err.code)
      : ApplicationFailure.retryable(err.message, err.code);
  }
  return err;
}
