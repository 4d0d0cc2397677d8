import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Config } from '../../lib/config.js';
import { JobKind, JobKindKey, TenantIdKey } from '../../lib/temporal/search-attributes.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import { waveComplianceExportWorkflow } from './workflows/compliance-export.js';

// Each tenant that wants scheduled compliance exports has a Temporal Schedule
// of its own, set with `scaiwave compliance schedule`: the UI then shows that
// tenant's runs, and pausing one tenant pauses no other. A run exports the last
// whole period (domains/export/compliance.ts); SKIP keeps two runs of a tenant from
// overlapping, and one run missed while Temporal was away is caught up.

export const complianceScheduleId = (tenantId: string): string => `compliance-export-${tenantId}`;

const minute = 60_000;

function optionsOf(config: Config, tenant: { id: string; slug: string }, everySeconds: number): ScheduleOptions {
  const every = everySeconds * 1000;
  return {
    scheduleId: complianceScheduleId(tenant.id),
    // A few minutes into each period, so what was posted just before its end has been written.
    spec: { intervals: [{ every, offset: every >= 30 * minute ? 5 * minute : 0 }] },
    action: {
      type: 'startWorkflow',
      workflowType: waveComplianceExportWorkflow,
      workflowId: workflowIds.waveComplianceExport(tenant.id),
      taskQueue: config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
      args: [{ tenantId: tenant.id, periodSeconds: everySeconds }],
      typedSearchAttributes: [
        { key: TenantIdKey, value: tenant.id },
        { key: JobKindKey, value: JobKind.waveComplianceExport },
      ],
      staticSummary: `Scheduled compliance export of tenant ${tenant.slug}`,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: Math.max(every, minute), pauseOnFailure: false },
    state: { note: `Exports every room's new messages and media of each ${everySeconds} s period to the compliance prefix (scaiwave compliance schedule).` },
  };
}

/** Creates the tenant's schedule, or changes its period; a pause stays as the operator left it. */
export async function setComplianceSchedule(client: Client, config: Config, tenant: { id: string; slug: string }, everySeconds: number): Promise<'created' | 'updated'> {
  const options = optionsOf(config, tenant, everySeconds);
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(options.scheduleId).update((previous) => ({
    spec: options.spec,
    action: options.action,
    policies: options.policies,
    state: previous.state,
  }));
  return 'updated';
}

/** Whether there was a schedule to delete. Exports already made stay where they are. */
export async function removeComplianceSchedule(client: Client, tenantId: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(complianceScheduleId(tenantId)).delete();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

interface ComplianceScheduleState {
  everySeconds: number;
  paused: boolean;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
}

export async function describeComplianceSchedule(client: Client, tenantId: string): Promise<ComplianceScheduleState | null> {
  try {
    const d = await client.schedule.getHandle(complianceScheduleId(tenantId)).describe();
    const every = d.spec.intervals?.[0]?.every;
    return {
      everySeconds: Number(every ?? 0) / 1000,
      paused: d.state.paused,
      nextRunAt: d.info.nextActionTimes[0] ?? null,
      lastRunAt: d.info.recentActions.at(-1)?.takenAt ?? null,
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}

/** Runs the tenant's schedule now, as if its time had come (SKIP still applies). */
export async function triggerComplianceSchedule(client: Client, tenantId: string): Promise<void> {
  await client.schedule.getHandle(complianceScheduleId(tenantId)).trigger();
}
