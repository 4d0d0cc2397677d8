import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { identitySyncWorkflow } from './workflows.js';
import { JobKind, JobKindKey, TenantIdKey } from '../../lib/temporal/search-attributes.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';

// Scheduled syncs are started by identitySyncAllWorkflow as children; this is
// the one start from outside a workflow (`scaiwave sync`).

/** One tenant's identity sync now; a sync of that tenant already running is joined, not started twice. */
export function startIdentitySync(s: Starter, tenant: { id: string; slug: string }): Promise<WorkflowHandleWithFirstExecutionRunId<typeof identitySyncWorkflow>> {
  return s.temporal.workflow.start(identitySyncWorkflow, {
    taskQueue: s.config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
    workflowId: workflowIds.identitySync(tenant.id),
    args: [{ tenantId: tenant.id, trigger: 'cli' }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [
      { key: TenantIdKey, value: tenant.id },
      { key: JobKindKey, value: JobKind.identitySync },
    ],
    staticSummary: `Identity sync of tenant ${tenant.slug} from ScaiKey (scaiwave sync)`,
  });
}
