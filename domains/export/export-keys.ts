// Where an export's objects live. The bundle appears at its key only when the
// multipart upload completes; the staged files (room.json, message chunks, …)
// sit under a prefix of their own and are deleted when the export ends either way.

export const exportBundleKey = (tenantId: string, exportId: string): string => `${tenantId}/wave/exports/${exportId}.tar`;

/** Scheduled exports go under the compliance prefix, by room and by the end of the period they cover. */
export const complianceBundleKey = (tenantId: string, roomId: string, until: Date, exportId: string): string =>
  `${tenantId}/compliance/${roomId}/${until.toISOString().replace(/[:.]/g, '-')}-${exportId}.tar`;

export const exportStagingPrefix = (tenantId: string, exportId: string): string => `${tenantId}/wave/exports/${exportId}/staging/`;

export const stagedKey = (tenantId: string, exportId: string, path: string): string => `${exportStagingPrefix(tenantId, exportId)}${path}`;
