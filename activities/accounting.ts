import { ApplicationFailure, Context } from '@temporalio/activity';
import { applyBatch, BatchNotApplied, claimBatch, clearBatch, MalformedUsageBatch, type ApplyOutcome } from '../lib/accounting/flush.js';
import type { ActivityDeps } from './deps.js';

// Thin wrappers: the exactly-once reasoning lives in lib/accounting/flush.ts.
// Errors a retry cannot fix become non-retryable so the flush moves on.

function toFailure(err: unknown): unknown {
  if (err instanceof MalformedUsageBatch || err instanceof BatchNotApplied) {
    return ApplicationFailure.nonRetryable(err.message, err.name);
  }
  return err;
}

export function accountingActivities(deps: ActivityDeps) {
  return {
    /** Snapshots the live counters as batch `batchId` (once per id); returns every pending batch id. */
    async claimUsageBatch(batchId: string): Promise<string[]> {
      return claimBatch(deps.redis, batchId);
    },

    async applyUsageBatch(batchId: string): Promise<ApplyOutcome> {
      const ctx = Context.current();
      try {
        return await applyBatch(deps.db, deps.redis, batchId, () => ctx.heartbeat());
      } catch (err) {
        throw toFailure(err);
      }
    },

    async clearUsageBatch(batchId: string): Promise<void> {
      try {
        await clearBatch(deps.db, deps.redis, batchId);
      } catch (err) {
        throw toFailure(err);
      }
    },
  };
}
