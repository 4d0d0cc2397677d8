import { defineQuery, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { RetentionActivities } from './activities.js';
import { bookkeeping } from '../../lib/temporal/activity-options.js';
import { failureReason } from '../../lib/temporal/failures.js';

export interface RetentionProgress {
  tenants: number;
  done: number;
}

export interface RetentionSummary {
  tenants: number;
  jobsPurged: number;
  stagedAudioPurged: number;
  /** room events past the stream's retention, gone from the sync log */
  waveEventsPruned: number;
  /** tenants whose purge gave up, with why; the next run tries again */
  failed: { tenantId: string; reason: string }[];
}

export const retentionProgressQuery = defineQuery<RetentionProgress>('progress');

const books = proxyActivities<RetentionActivities>(bookkeeping({ maximumAttempts: 10 }));

// A tenant's purge pages through its jobs; heartbeats carry the cursor, so a
// killed worker's attempt resumes where it stopped.
const purge = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5 },
});

/**
 * `wave-retention-purge`: per tenant, expired jobs (with their audio), then
 * staged audio past its period, then room events past the stream's
 * retention. The audit trace is in retention_purges, tagged with this run's id.
 */
export async function retentionPurgeWorkflow(): Promise<RetentionSummary> {
  const { runId } = workflowInfo();
  const tenants = await books.listRetentionTenants();
  const progress: RetentionProgress = { tenants: tenants.length, done: 0 };
  setHandler(retentionProgressQuery, () => progress);
  const summary: RetentionSummary = { tenants: tenants.length, jobsPurged: 0, stagedAudioPurged: 0, waveEventsPruned: 0, failed: [] };
  for (const tenantId of tenants) {
    try {
      summary.jobsPurged += await purge.purgeTenantExpiredJobs({ runId, tenantId });
      summary.stagedAudioPurged += await purge.purgeTenantStagedAudio({ runId, tenantId });
      // Runs started before room events existed replay without this step.
      if (patched('wave-event-log-retention')) summary.waveEventsPruned += await purge.pruneTenantWaveEvents({ tenantId });
    } catch (err) {
      summary.failed.push({ tenantId, reason: failureReason(err) });
    }
    progress.done++;
  }
  return summary;
}
