import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Bookkeeping against our own stores (MariaDB, Redis, S3): quick calls,
 * retried with a short backoff until they succeed or throw a non-retryable
 * failure (lib/temporal/failures.ts); `maximumAttempts` bounds work a
 * scheduled run may leave to the next run.
 */
export function bookkeeping(opts: { maximumAttempts?: number } = {}): ActivityOptions {
  return {
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: '1 second',
      maximumInterval: '30 seconds',
      ...(opts.maximumAttempts ? { maximumAttempts: opts.maximumAttempts } : {}),
    },
  };
}
