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

/**
 * A batch of search indexing (read MariaDB, embed through ScaiGrid, write the
 * index): retried without end while ScaiGrid or the index is away, each
 * attempt bounded; the batch heartbeats while it works (domains/search/activities.ts),
 * so a worker that died mid-batch is noticed within the heartbeat timeout.
 */
export const searchBatch: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/**
 * A long export step (messages staged, media hashed, parts uploaded): it
 * heartbeats its position, so a dead worker is noticed within the heartbeat
 * timeout and the retry resumes from that position; the long start-to-close
 * bound is for one very large media file being hashed or read.
 */
export const exportBatch: ActivityOptions = {
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
