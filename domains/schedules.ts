import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
  type Workflow,
} from '@temporalio/client';
import type { Env } from '../lib/config.js';
import { accountingFlushWorkflow } from './accounting/workflows.js';
import { identitySyncAllWorkflow } from './identity/workflows.js';
import { retentionPurgeWorkflow } from './retention/workflows.js';
import { warmReconcileWorkflow } from './speakers/workflows/warm-reconcile.js';
import { JobKind, JobKindKey } from '../lib/temporal/search-attributes.js';
import type { ScheduleName } from '../lib/temporal/schedule-names.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';

// Temporal Schedules replace the seeds' cron singleton: the server starts each
// run, SKIP keeps runs of one schedule from overlapping, and any number of
// workers may poll. `scaiwave schedules apply` (also run by `npm start`) makes
// the server's schedules match this catalogue; running it again changes only
// what differs and never duplicates a schedule.

interface ScheduleDef {
  /** also the schedule id, so the UI, the CLI and the code use one name */
  name: ScheduleName;
  /** the workflow function's name, which is its type: a renamed function fails to compile here, not at run time */
  workflowType: string;
  workflowId: string;
  everyMs: number;
  jitterMs: number;
  /** a run still going after this is ended; its work is picked up by the next */
  runTimeoutMs: number;
  jobKind: JobKind;
  /** what the schedule does, shown as its note in the Temporal UI */
  note: string;
  summary: string;
}

const second = 1000;
const minute = 60 * second;

export function scheduleCatalogue(env: Env): ScheduleDef[] {
  const flushEvery = env.SCAIWAVE_ACCOUNTING_FLUSH_INTERVAL_SECONDS * second;
  const syncEvery = env.SCAIWAVE_IDENTITY_SYNC_INTERVAL_SECONDS * second;
  const retentionEvery = env.SCAIWAVE_RETENTION_INTERVAL_SECONDS * second;
  const reconcileEvery = env.SCAIWAVE_WARM_RECONCILE_INTERVAL_SECONDS * second;
  return [
    {
      name: 'accounting-flush',
      workflowType: accountingFlushWorkflow.name,
      workflowId: workflowIds.accountingFlush(),
      everyMs: flushEvery,
      // One flusher at a time already; jitter would only add lag.
      jitterMs: 0,
      runTimeoutMs: Math.max(10 * minute, 2 * flushEvery),
      jobKind: JobKind.accountingFlush,
      note: 'Moves usage counted in Redis into MariaDB usage_daily, exactly once (SCAIWAVE_ACCOUNTING_FLUSH_INTERVAL_SECONDS).',
      summary: 'Accounting flush: Redis usage counters → MariaDB usage_daily',
    },
    {
      name: 'identity-sync',
      workflowType: identitySyncAllWorkflow.name,
      workflowId: workflowIds.identitySyncAll(),
      everyMs: syncEvery,
      // Spreads the load on ScaiKey across deployments that would otherwise all sync on the hour.
      jitterMs: Math.min(syncEvery / 10, 10 * minute),
      runTimeoutMs: Math.max(2 * syncEvery, 30 * minute),
      jobKind: JobKind.identitySyncAll,
      note: 'Syncs every active tenant\'s users and roles from ScaiKey (SCIM); deactivates the removed unless the guard holds (SCAIWAVE_IDENTITY_SYNC_INTERVAL_SECONDS).',
      summary: 'Identity sync of every active tenant from ScaiKey',
    },
    {
      name: 'retention-purge',
      workflowType: retentionPurgeWorkflow.name,
      workflowId: workflowIds.retentionPurge(),
      everyMs: retentionEvery,
      jitterMs: Math.min(retentionEvery / 10, 30 * minute),
      runTimeoutMs: Math.max(retentionEvery, 6 * 60 * minute),
      jobKind: JobKind.retentionPurge,
      note: 'Deletes staged audio and finished jobs past their tenant\'s retention; audit trace in retention_purges (SCAIWAVE_RETENTION_INTERVAL_SECONDS).',
      summary: 'Retention purge: expired staged audio and transcription jobs',
    },
    {
      name: 'warm-reconcile',
      workflowType: warmReconcileWorkflow.name,
      workflowId: workflowIds.warmReconcile(),
      everyMs: reconcileEvery,
      // Keeps deployments from asking every node at the same moment.
      jitterMs: Math.min(reconcileEvery / 10, minute),
      runTimeoutMs: Math.max(2 * reconcileEvery, 30 * minute),
      jobKind: JobKind.warmReconcile,
      note: 'Checks the speaker warm registry against what online diarization nodes hold: drops stale holders, re-warms speakers a node lacks (SCAIWAVE_WARM_RECONCILE_INTERVAL_SECONDS).',
      summary: 'Warm-registry reconcile: stale holders dropped, missing speakers re-warmed',
    },
  ];
}

export function scheduleDef(env: Env, name: ScheduleName): ScheduleDef {
  return scheduleCatalogue(env).find((d) => d.name === name)!;
}

function optionsOf(def: ScheduleDef, taskQueue: string): ScheduleOptions<ScheduleOptionsStartWorkflowAction<Workflow>> {
  return {
    scheduleId: def.name,
    spec: { intervals: [{ every: def.everyMs }], jitter: def.jitterMs },
    action: {
      type: 'startWorkflow',
      workflowType: def.workflowType,
      workflowId: def.workflowId,
      taskQueue,
      args: [],
      workflowExecutionTimeout: def.runTimeoutMs,
      typedSearchAttributes: [{ key: JobKindKey, value: def.jobKind }],
      staticSummary: def.summary,
    },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP,
      // A run missed while Temporal was down is worth one catch-up, not a backlog.
      catchupWindow: Math.max(def.everyMs, minute),
      pauseOnFailure: false,
    },
    state: { note: def.note },
  };
}

/** The settings `apply` owns; anything else (paused, note of a pause) is the operator's. */
function differs(d: ScheduleDescription, o: ReturnType<typeof optionsOf>): string[] {
  const interval = d.spec.intervals?.[0];
  const a = d.action;
  const want = o.action;
  const changes: [string, unknown, unknown][] = [
    ['interval', interval?.every, o.spec.intervals?.[0]?.every],
    ['intervals', d.spec.intervals?.length ?? 0, 1],
    ['jitter', d.spec.jitter ?? 0, o.spec.jitter],
    ['workflow type', a.workflowType, want.workflowType],
    ['workflow id', a.workflowId, want.workflowId],
    ['task queue', a.taskQueue, want.taskQueue],
    ['run timeout', a.workflowExecutionTimeout, want.workflowExecutionTimeout],
    ['summary', a.staticSummary, want.staticSummary],
    ['overlap', d.policies.overlap, o.policies?.overlap],
    ['catch-up window', d.policies.catchupWindow, o.policies?.catchupWindow],
  ];
  return changes.filter(([, have, wanted]) => have !== wanted).map(([what]) => what);
}

interface ApplyResult {
  name: ScheduleName;
  action: 'created' | 'updated' | 'unchanged';
  /** what `updated` changed */
  changed: string[];
  everyMs: number;
  jitterMs: number;
}

/** Creates what is missing and updates what differs; safe to run from every deploy, concurrently too. */
export async function applySchedules(client: Client, env: Env): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  for (const def of scheduleCatalogue(env)) {
    const options = optionsOf(def, env.SCAIWAVE_TEMPORAL_TASK_QUEUE);
    const base = { name: def.name, everyMs: def.everyMs, jitterMs: def.jitterMs };
    try {
      await client.schedule.create(options);
      results.push({ ...base, action: 'created', changed: [] });
      continue;
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
    const handle = client.schedule.getHandle(def.name);
    const changed = differs(await handle.describe(), options);
    if (changed.length === 0) {
      results.push({ ...base, action: 'unchanged', changed });
      continue;
    }
    await handle.update((previous) => ({
      spec: options.spec,
      action: options.action,
      policies: options.policies,
      // A paused schedule keeps its pause and the operator's note on it.
      state: previous.state.paused ? { paused: true, note: previous.state.note } : { paused: false, note: def.note },
    }));
    results.push({ ...base, action: 'updated', changed });
  }
  return results;
}
