import { defineQuery, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { AccountingActivities } from './activities.js';
import { failureReason } from '../../lib/temporal/failures.js';

export interface FlushProgress {
  phase: 'claiming' | 'applying' | 'done';
  pending: number;
  applied: number;
}

export interface FlushSummary {
  /** the batch this run claimed (its run id); other pending batches are applied too */
  batchId: string;
  batches: number;
  applied: number;
  /** already in the ledger, or already cleared: another flush got there first */
  skipped: number;
  counters: number;
  requests: number;
  tokens: number;
  audioMs: number;
  /** batches left pending for an operator, with why */
  stuck: { batchId: string; reason: string }[];
}

export const flushProgressQuery = defineQuery<FlushProgress>('progress');

// Single Redis scripts: short timeouts so a killed worker's attempt is retried
// within seconds. A run that gives up leaves its batch pending for the next run.
const redisSteps = proxyActivities<AccountingActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 10 },
});

// One transaction per batch; heartbeats after each statement prove the worker is alive.
const dbSteps = proxyActivities<AccountingActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/**
 * `grid-accounting-flush`: Redis usage counters → MariaDB usage_daily, exactly
 * once (see domains/accounting/flush.ts for why each step may repeat safely).
 * Started by the accounting-flush Schedule; overlapping runs are harmless.
 */
export async function accountingFlushWorkflow(): Promise<FlushSummary> {
  const batchId = workflowInfo().runId;
  const progress: FlushProgress = { phase: 'claiming', pending: 0, applied: 0 };
  setHandler(flushProgressQuery, () => progress);
  const summary: FlushSummary = { batchId, batches: 0, applied: 0, skipped: 0, counters: 0, requests: 0, tokens: 0, audioMs: 0, stuck: [] };

  const pending = await redisSteps.claimUsageBatch(batchId);
  progress.phase = 'applying';
  progress.pending = summary.batches = pending.length;

  for (const id of pending) {
    try {
      const outcome = await dbSteps.applyUsageBatch(id);
      await redisSteps.clearUsageBatch(id);
      if (outcome.status === 'applied') {
        summary.applied++;
        summary.counters += outcome.counters;
        summary.requests += outcome.totals.requests;
        summary.tokens += outcome.totals.tokens;
        summary.audioMs += outcome.totals.audio_ms;
      } else {
        summary.skipped++;
      }
    } catch (err) {
      summary.stuck.push({ batchId: id, reason: failureReason(err) });
    }
    progress.applied++;
  }
  progress.phase = 'done';
  return summary;
}
