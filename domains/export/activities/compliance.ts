import { advanceCursor, planCompliancePage, type CompliancePage } from '../compliance.js';
import type { ActivityDeps } from '../../../lib/temporal/activity-deps.js';

// The bookkeeping of a tenant's scheduled compliance exports
// (domains/export/workflows/compliance-export.ts); the exports themselves are child runs
// of the room export workflow.

export function waveComplianceActivities({ db }: ActivityDeps) {
  return {
    /** One page of rooms, each with the scheduled export of what is new since its cursor. */
    async planComplianceExports(input: { tenantId: string; until: number; afterRoomId: string | null }): Promise<CompliancePage> {
      return planCompliancePage(db, input.tenantId, new Date(input.until), input.afterRoomId);
    },

    async advanceComplianceCursor(input: { tenantId: string; roomId: string; until: number; exportId: string }): Promise<void> {
      await advanceCursor(db, { ...input, until: new Date(input.until) });
    },
  };
}

/** What a workflow proxies: the steps this file defines. */
export type WaveComplianceActivities = ReturnType<typeof waveComplianceActivities>;
