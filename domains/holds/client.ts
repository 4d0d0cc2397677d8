import { JobKind, JobKindKey, TenantIdKey } from '../../lib/temporal/search-attributes.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { holdReleasedSignal } from './signals.js';

/**
 * After a release, every running workflow of the tenant that may wait on a hold
 * is told. Visibility may lag a workflow that began waiting a moment ago: that
 * one finds the release at its next periodic check.
 */
export async function announceHoldReleased(s: Starter, tenantId: string): Promise<void> {
  const query = `${TenantIdKey.name} = "${tenantId}" AND ${JobKindKey.name} = "${JobKind.userErasure}" AND ExecutionStatus = "Running"`;
  for await (const wf of s.temporal.workflow.list({ query })) {
    await s.temporal.workflow
      .getHandle(wf.workflowId)
      .signal(holdReleasedSignal)
      // One that ended meanwhile has nothing left to wait for.
      .catch(() => undefined);
  }
}
