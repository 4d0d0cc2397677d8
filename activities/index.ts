import { accountingActivities } from '../domains/accounting/activities.js';
import { identitySyncActivities } from '../domains/identity/activities.js';
import { retentionActivities } from '../domains/retention/activities.js';
import { speakerErasureActivities } from '../domains/speakers/activities/erasure.js';
import { speakerActivities } from '../domains/speakers/activities/enrollment.js';
import { systemActivities } from '../domains/system/activities.js';
import { transcriptionActivities, type TranscriptionDeps } from '../domains/scaiecho/activities.js';
import { jobDeletionActivities } from '../domains/scaiecho/job-deletion-activities.js';
import { legacyTranscriptionActivities } from '../domains/scaiecho/legacy-activities.js';
import { warmReconcileActivities } from '../domains/speakers/activities/warm-reconcile.js';
import { waveImportActivities } from '../domains/export/activities/import.js';
import { waveComplianceActivities } from '../domains/export/activities/compliance.js';
import { waveExportActivities } from '../domains/export/activities/export.js';
import { waveMediaActivities } from '../domains/wave/activities.js';
import { waveSearchActivities, type SearchActivityDeps } from '../domains/search/activities.js';
import { erasureRequestActivities, userErasureActivities } from '../domains/erasure/activities.js';
import { webhookActivities } from '../domains/webhooks/activities.js';

/** What the worker hands its activities: every domain's needs in one set (worker/create.ts builds it). */
export type WorkerActivityDeps = TranscriptionDeps & SearchActivityDeps;

export function createActivities(deps: WorkerActivityDeps) {
  return {
    ...systemActivities(deps),
    ...transcriptionActivities(deps),
    ...legacyTranscriptionActivities(deps),
    ...jobDeletionActivities(deps),
    ...speakerActivities(deps),
    ...speakerErasureActivities(deps),
    ...accountingActivities(deps),
    ...identitySyncActivities(deps),
    ...retentionActivities(deps),
    ...warmReconcileActivities(deps),
    ...waveMediaActivities(deps),
    ...waveSearchActivities(deps),
    ...waveImportActivities(deps),
    ...waveExportActivities(deps),
    ...waveComplianceActivities(deps),
    ...userErasureActivities(deps),
    ...erasureRequestActivities(deps),
    ...webhookActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
