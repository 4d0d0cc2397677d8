import { continueAsNew, executeChild, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { WaveComplianceActivities } from '../activities/compliance.js';
import { periodEnd, type PlannedExport } from '../compliance.js';
import { failureReason } from '../../../lib/temporal/failures.js';
import { JobKind, JobStatusKey, runningJobAttributes } from '../../../lib/temporal/search-attributes.js';
import { workflowIds } from '../../../lib/temporal/workflow-ids.js';
import { bookkeeping } from '../../../lib/temporal/activity-options.js';
import { waveRoomExportWorkflow } from './room-export.js';

// `wave-compliance-export-{tenantId}`, started by the tenant's Schedule
// (domains/export/compliance-schedule.ts): every room's messages and media since
// its cursor up to the end of the last whole period, one bundle per room under
// the compliance prefix. A room's cursor moves only once its bundle is
// complete, so a failed or missed export is caught up by the next run.

export interface ComplianceRunSummary {
  /** the end of the period exported, epoch ms */
  until: number;
  exported: number;
  quiet: number;
  failed: { roomId: string; exportId: string; reason: string }[];
}

const PARALLEL_EXPORTS = 2;

const books = proxyActivities<WaveComplianceActivities>(bookkeeping());

export interface ComplianceRunInput {
  tenantId: string;
  periodSeconds: number;
  /** carried over by continue-as-new, for a tenant with many rooms */
  carried?: { summary: ComplianceRunSummary; afterRoomId: string };
}

export async function waveComplianceExportWorkflow(input: ComplianceRunInput): Promise<ComplianceRunSummary> {
  // Workflow time: the same on replay, and the period the Schedule's run belongs to.
  const summary: ComplianceRunSummary = input.carried?.summary ?? { until: periodEnd(Date.now(), input.periodSeconds * 1000), exported: 0, quiet: 0, failed: [] };
  const { until } = summary;

  const exportRoom = async (p: PlannedExport): Promise<void> => {
    try {
      await executeChild(waveRoomExportWorkflow, {
        workflowId: workflowIds.waveRoomExport(p.exportId),
        args: [{ exportId: p.exportId }],
        typedSearchAttributes: runningJobAttributes(input.tenantId, JobKind.waveRoomExport, p.roomId),
        staticSummary: `Scheduled compliance export ${p.exportId} of room ${p.roomId}`,
      });
      await books.advanceComplianceCursor({ tenantId: input.tenantId, roomId: p.roomId, until, exportId: p.exportId });
      summary.exported++;
    } catch (err) {
      summary.failed.push({ ...p, reason: failureReason(err) });
    }
  };

  let afterRoomId: string | null = input.carried?.afterRoomId ?? null;
  do {
    const page: Awaited<ReturnType<typeof books.planComplianceExports>> = await books.planComplianceExports({ tenantId: input.tenantId, until, afterRoomId });
    summary.quiet += page.quiet;
    const queue = [...page.exports];
    await Promise.all(
      Array.from({ length: PARALLEL_EXPORTS }, async () => {
        for (let p = queue.shift(); p; p = queue.shift()) await exportRoom(p);
      }),
    );
    summary.exported += page.alreadyExported;
    afterRoomId = page.nextRoomId;
    if (afterRoomId && workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof waveComplianceExportWorkflow>({ ...input, carried: { summary, afterRoomId } });
    }
  } while (afterRoomId);
  upsertSearchAttributes([{ key: JobStatusKey, value: summary.failed.length === 0 ? 'completed' : 'failed' }]);
  return summary;
}
