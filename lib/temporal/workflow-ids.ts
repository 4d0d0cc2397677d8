// The workflow id is the business key: starting the same work twice attaches to
// the first run instead of running it again. One function per workflow kind, so
// the API, the CLI and the tests never spell an id twice. Pure: workflows import it.

export const workflowIds = {
  systemCheck: (checkId: string): string => `system-check-${checkId}`,
  transcribe: (jobId: string): string => `scaiecho-transcribe-${jobId}`,
  /** a job is deleted once, however often it is asked */
  deleteJob: (jobId: string): string => `scaiecho-delete-job-${jobId}`,
  enrollSpeaker: (speakerId: string): string => `scaiecho-enroll-${speakerId}`,
  rewarmSpeaker: (speakerId: string): string => `scaiecho-warm-${speakerId}`,
  eraseSpeaker: (speakerId: string): string => `scaiecho-erase-speaker-${speakerId}`,
  /** one per user however often it is asked: the user's id is the erasure's business key */
  eraseUser: (userId: string): string => `wave-erase-user-${userId}`,
  /** a user's own erasure request: its deadline is this run's durable timer */
  erasureRequest: (requestId: string): string => `wave-erasure-request-${requestId}`,
  // Scheduled runs get the Schedule's start time appended (grid-accounting-flush-2026-11-23T10:00:30Z).
  accountingFlush: (): string => 'grid-accounting-flush',
  identitySync: (tenantId: string): string => `wave-identity-sync-${tenantId}`,
  identitySyncAll: (): string => 'wave-identity-sync-all',
  retentionPurge: (): string => 'wave-retention-purge',
  waveMediaScan: (mediaId: string): string => `wave-media-scan-${mediaId}`,
  /** one per tenant, running as long as the tenant has rooms: its index follows the room events */
  waveSearchIndex: (tenantId: string): string => `wave-search-index-${tenantId}`,
  waveSearchReindex: (tenantId: string, roomId?: string): string => `wave-search-reindex-${tenantId}${roomId ? `-${roomId}` : ''}`,
  /** one per (target workspace, bundle): the import id is derived from both (domains/export/import-ids.ts) */
  waveRoomImport: (importId: string): string => `wave-room-import-${importId}`,
  /** one room's compliance export (on demand or scheduled): the export id is made when it is asked for */
  waveRoomExport: (exportId: string): string => `wave-room-export-${exportId}`,
  /** a tenant's scheduled compliance exports; its Schedule appends each run's start time */
  waveComplianceExport: (tenantId: string): string => `wave-compliance-export-${tenantId}`,
  /** one event for one endpoint: the delivery id derives from both (domains/webhooks/deliveries.ts), so a redelivered event starts nothing new */
  webhookDelivery: (deliveryId: string): string => `webhook-delivery-${deliveryId}`,
  /** The Schedule's runs reconcile every tenant; a run for one tenant gets its own id. */
  warmReconcile: (tenantId?: string): string => (tenantId ? `scaiecho-warm-reconcile-${tenantId}` : 'scaiecho-warm-reconcile'),
} as const;
