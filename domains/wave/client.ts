import { waveMediaScanWorkflow } from './workflows.js';
import { JobKind, runningJobAttributes } from '../../lib/temporal/search-attributes.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';

/**
 * What every start of a media scan carries, whoever starts it (the API, or a
 * room import's workflow as its child): its id is the media's, and one already
 * running or finished is left as it is. Pure: workflows import it.
 */
export function mediaScanStart(t: { tenantId: string; tenantSlug: string }, mediaId: string) {
  return {
    workflowId: workflowIds.waveMediaScan(mediaId),
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' as const,
    typedSearchAttributes: runningJobAttributes(t.tenantId, JobKind.waveMediaScan, mediaId),
    staticSummary: `Media scan ${mediaId} (tenant ${t.tenantSlug})`,
    args: [{ mediaId, tenantId: t.tenantId }] as [{ mediaId: string; tenantId: string }],
  };
}

/** Starts the media's scan, once (see mediaScanStart). */
export async function startMediaScan(s: Starter, t: { tenantId: string; tenantSlug: string }, mediaId: string): Promise<void> {
  await s.temporal.workflow.start(waveMediaScanWorkflow, {
    ...mediaScanStart(t, mediaId),
    taskQueue: s.config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
