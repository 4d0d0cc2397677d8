import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Custom search attributes every workflow may set, so operators can filter in the
// Temporal UI ("TenantId = 'x' AND JobStatus = 'failed'"). Registered by the stack
// script and the test setup. Values are ids and enums only: never personal data,
// because search attributes are stored in clear.
export const customSearchAttributes = {
  TenantId: 'Keyword',
  JobKind: 'Keyword',
  JobStatus: 'Keyword',
  SubjectId: 'Keyword',
} as const;

export const TenantIdKey = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const JobKindKey = defineSearchAttributeKey('JobKind', SearchAttributeType.KEYWORD);
export const JobStatusKey = defineSearchAttributeKey('JobStatus', SearchAttributeType.KEYWORD);
const SubjectIdKey = defineSearchAttributeKey('SubjectId', SearchAttributeType.KEYWORD);

/** `JobKind` values: what a run is, one per workflow family, named once. */
export const JobKind = {
  transcription: 'scaiecho.transcription',
  jobDeletion: 'scaiecho.job_deletion',
  speakerEnrollment: 'scaiecho.speaker_enrollment',
  speakerRewarm: 'scaiecho.speaker_rewarm',
  speakerErasure: 'scaiecho.speaker_erasure',
  warmReconcile: 'scaiecho.warm_reconcile',
  identitySync: 'identity.sync',
  identitySyncAll: 'identity.sync.all',
  accountingFlush: 'accounting.flush',
  retentionPurge: 'retention.purge',
  waveMediaScan: 'wave.media_scan',
  waveSearchIndex: 'wave.search_index',
  waveSearchReindex: 'wave.search_reindex',
  waveRoomImport: 'wave.room_import',
  waveRoomExport: 'wave.room_export',
  waveComplianceExport: 'wave.compliance_export',
  userErasure: 'wave.user_erasure',
  erasureRequest: 'wave.erasure_request',
  webhookDelivery: 'webhooks.delivery',
} as const;

export type JobKind = (typeof JobKind)[keyof typeof JobKind];

/** What a job's run carries from its start: its tenant, kind and subject, status running. Pure: workflows import it. */
export const runningJobAttributes = (tenantId: string, kind: JobKind, subjectId: string) => [
  { key: TenantIdKey, value: tenantId },
  { key: JobKindKey, value: kind },
  { key: JobStatusKey, value: 'running' },
  { key: SubjectIdKey, value: subjectId },
];
