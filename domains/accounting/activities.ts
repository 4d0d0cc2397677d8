import { Context } from '@temporalio/activity';
import { applyBatch, claimBatch, clearBatch, type ApplyOutcome } from './flush.js';
import type { ActivityDeps } from '../../lib/temporal/activity-deps.js';
import { asFailure } from '../../lib/temporal/activity-failures.js';

// Thin wrappers: the exactly-once reasoning lives in domains/accounting/flush.ts.
// Errors a retry cannot fix become non-retryable so the flush moves on.

export function accountingActivities(deps: ActivityDeps) {
  return {
    /** Snapshots the live counters as batch `batchId` (once per id); returns every pending batch id. */
    async claimUsageBatch(batchId: string): Promise<string[]> {
      return claimBatch(deps.redis, batchId);
    },

    async applyUsageBatch(batchId: string): Promise<ApplyOutcome> {
      const ctx = Context.current();
      return asFailure(() => applyBatch(deps.db, deps.redis, batchId, () => ctx.heartbeat()));
    },

    async clearUsageBatch(batchId: string): Promise<void> {
      await asFailure(() => clearBatch(deps.db, deps.redis, batchId));
    },
  };
}

/** What a workflow proxies: the steps this file defines. */
export type AccountingActivities = ReturnType<typeof accountingActivities>;
