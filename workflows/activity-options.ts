import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Bookkeeping against our own stores (MariaDB, Redis, S3): quick calls,
 * retried with a short backoff. `nonRetryable` names what a retry cannot fix;
 * `maximumAttempts` bounds work a scheduled run may leave to the next run.
 */
export function bookkeeping(opts: { nonRetryable?: string[]; maximumAttempts?: number } = {}): ActivityOptions {
  return {
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: '1 second',
      maximumInterval: '30 seconds',
      ...(opts.maximumAttempts ? { maximumAttempts: opts.maximumAttempts } : {}),
      ...(opts.nonRetryable ? { nonRetryableErrorTypes: opts.nonRetryable } : {}),
    },
  };
}
