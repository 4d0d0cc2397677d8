import { accountingActivities } from './accounting.js';
import type { ActivityDeps } from './deps.js';
import { identitySyncActivities } from './identity-sync.js';
import { retentionActivities } from './retention.js';
import { speakerErasureActivities } from './speaker-erasure.js';
import { speakerActivities } from './speakers.js';
import { systemActivities } from './system.js';
import { transcriptionActivities } from './transcription.js';
import { warmReconcileActivities } from './warm-reconcile.js';
import { waveImportActivities } from './wave-import.js';
import { waveComplianceActivities } from './wave-compliance.js';
import { waveExportActivities } from './wave-export.js';
import { waveMediaActivities } from './wave-media.js';
import { waveSearchActivities } from './wave-search.js';

export type { ActivityDeps };

export function createActivities(deps: ActivityDeps) {
  return {
    ...systemActivities(deps),
    ...transcriptionActivities(deps),
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
  };
}

export type Activities = ReturnType<typeof createActivities>;
