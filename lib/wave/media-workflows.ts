import { waveMediaScanWorkflow } from '../../workflows/wave-media-scan.js';
import { JobKind, JobKindKey, JobStatusKey, SubjectIdKey, TenantIdKey } from '../temporal/search-attributes.js';
import type { Starter } from '../temporal/starter.js';
import { workflowIds } from '../temporal/workflow-ids.js';

/**
 * Starts the media's scan, once: a scan already running or finished for the
 * same media is left as it is (its id is the media's).
 */
export async function startMediaScan(s: Starter, t: { tenantId: string; tenantSlug: string }, mediaId: string): Promise<void> {
  await s.temporal.workflow.start(waveMediaScanWorkflow, {
    taskQueue: s.config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
    workflowId: workflowIds.waveMediaScan(mediaId),
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    typedSearchAttributes: [
      { key: TenantIdKey, value: t.tenantId },
      { key: JobKindKey, value: JobKind.waveMediaScan },
      { key: JobStatusKey, value: 'running' },
      { key: SubjectIdKey, value: mediaId },
    ],
    staticSummary: `Media scan ${mediaId} (tenant ${t.tenantSlug})`,
    args: [{ mediaId }],
  });
}
