import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { defineQuery, executeChild, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { IdentitySyncActivities } from './activities.js';
import { bookkeeping } from '../../lib/temporal/activity-options.js';
import type { RunCounts, RunEnd, SyncResult, SyncTrigger } from './activities.js';
import { JobKind, JobKindKey, JobStatusKey, TenantIdKey } from '../../lib/temporal/search-attributes.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import { failureReason } from '../../lib/temporal/failures.js';

export interface IdentitySyncProgress {
  phase: 'starting' | 'syncing' | 'recording' | 'done';
}

export type IdentitySyncOutcome = RunCounts & { tenantId: string };

export const identitySyncProgressQuery = defineQuery<IdentitySyncProgress>('progress');

const books = proxyActivities<IdentitySyncActivities>(bookkeeping({ maximumAttempts: 10 }));

// ScaiKey may be briefly away: a few tries, then the run is recorded as failed
// (having deactivated nobody) and the next scheduled run tries again.
const sync = proxyActivities<IdentitySyncActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 3,
  },
});

/**
 * `wave-identity-sync-{tenantId}`: one tenant's users from ScaiKey. Every run
 * leaves a row in identity_sync_runs with what it added, updated, deactivated
 * and could not take over, or why it held back.
 */
export async function identitySyncWorkflow(input: { tenantId: string; trigger: SyncTrigger }): Promise<IdentitySyncOutcome> {
  const { runId, workflowId } = workflowInfo();
  const progress: IdentitySyncProgress = { phase: 'starting' };
  setHandler(identitySyncProgressQuery, () => progress);

  await books.beginIdentitySync({ runId, tenantId: input.tenantId, workflowId, trigger: input.trigger });
  progress.phase = 'syncing';
  let result: SyncResult | RunEnd;
  try {
    result = await sync.syncTenantIdentities({ runId, tenantId: input.tenantId });
  } catch (err) {
    result = { status: 'failed', reason: failureReason(err), idpUsers: null, failed: 0, skippedLocal: 0 };
  }
  progress.phase = 'recording';
  const counts = await books.finishIdentitySync(runId, result);
  upsertSearchAttributes([{ key: JobStatusKey, value: counts.status }]);
  progress.phase = 'done';
  return { ...counts, tenantId: input.tenantId };
}

export interface IdentitySyncAllSummary {
  tenants: number;
  completed: number;
  guarded: number;
  failed: number;
  /** a sync of that tenant was already running (e.g. started by `scaiwave sync`) */
  skipped: number;
}

const PARALLEL_TENANTS = 4;

/** What the identity-sync Schedule starts: a child sync per active tenant, a few at a time. */
export async function identitySyncAllWorkflow(): Promise<IdentitySyncAllSummary> {
  const tenants = await books.listSyncTenants();
  const summary: IdentitySyncAllSummary = { tenants: tenants.length, completed: 0, guarded: 0, failed: 0, skipped: 0 };
  const one = async (tenantId: string): Promise<void> => {
    try {
      const outcome = await executeChild(identitySyncWorkflow, {
        workflowId: workflowIds.identitySync(tenantId),
        args: [{ tenantId, trigger: 'schedule' }],
        typedSearchAttributes: [
          { key: TenantIdKey, value: tenantId },
          { key: JobKindKey, value: JobKind.identitySync },
        ],
        staticSummary: `Identity sync of tenant ${tenantId} from ScaiKey (scheduled)`,
      });
      if (outcome.status === 'completed') summary.completed++;
      else if (outcome.status === 'guarded') summary.guarded++;
      else summary.failed++;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) summary.skipped++;
      else summary.failed++;
    }
  };
  for (let i = 0; i < tenants.length; i += PARALLEL_TENANTS) {
    await Promise.all(tenants.slice(i, i + PARALLEL_TENANTS).map(one));
  }
  return summary;
}
