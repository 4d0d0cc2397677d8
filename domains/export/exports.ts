import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Caller } from '../../lib/auth/caller-identity.js';
import type { Config } from '../../lib/config.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { WaveExport } from '../../lib/generated/prisma/client.js';
import type { Db } from '../../lib/infra/db.js';
import { newId } from '../../lib/infra/ids.js';
import { SECTION } from './export-files.js';
import { exportPercent } from './progress.js';
import { complianceBundleKey, exportBundleKey } from './export-keys.js';

// Asking for an export and following it. The room is looked up in the caller's
// tenant only (another tenant's room is 404, as if it did not exist); a
// compliance officer need not be a member of the room. The time range is fixed
// here, when the export is asked for: `until` defaults to now, so messages
// posted while the export runs are the next export's.

interface ExportRequest {
  since?: Date;
  until?: Date;
}

/** Who asks: a user through the API, an operator at the CLI (no user), or the tenant's schedule. */
type Requester = { tenantId: string } & ({ kind: 'on_demand'; userId: string | null } | { kind: 'scheduled' });

export async function requestExport(db: Db, by: Requester, roomId: string, range: ExportRequest, now = new Date()): Promise<WaveExport> {
  const until = range.until ?? now;
  if (range.since && range.since >= until) throw new AppError('VALIDATION_ERROR', 'since: must be before until');
  if (until > now) throw new AppError('VALIDATION_ERROR', 'until: must not be in the future; an export covers what has happened');
  const room = await db.waveRoom.findFirst({ where: { id: roomId, tenantId: by.tenantId }, select: { id: true } });
  if (!room) throw notFound('room');
  const id = newId();
  return db.waveExport.create({
    data: {
      id,
      tenantId: by.tenantId,
      roomId,
      kind: by.kind,
      requestedById: by.kind === 'on_demand' ? by.userId : null,
      since: range.since ?? null,
      until,
      status: 'running',
      objectKey: by.kind === 'scheduled' ? complianceBundleKey(by.tenantId, roomId, until, id) : exportBundleKey(by.tenantId, id),
    },
  });
}

/** An export the caller asked for through the API. */
export const callerRequest = (caller: Caller): Requester => ({ tenantId: caller.tenantId, kind: 'on_demand', userId: caller.userId });

export async function findExport(db: Db, tenantId: string, exportId: string): Promise<WaveExport> {
  const e = await db.waveExport.findFirst({ where: { id: exportId, tenantId } });
  if (!e) throw notFound('export');
  return e;
}

export interface ExportStatus {
  export: WaveExport;
  messagesDone: number;
  mediaBytesDone: number;
  percent: number;
  downloadUrl: string | null;
  downloadExpiresAt: Date | null;
}

/**
 * Progress as the rows show it: message chunks staged, media hashed, bytes
 * uploaded, weighed as the workflow's progress query weighs them
 * (domains/export/progress.ts). A finished export gets a short-lived URL.
 */
export async function exportStatus(deps: { db: Db; s3: S3Client; config: Config }, e: WaveExport, now = new Date()): Promise<ExportStatus> {
  const sums = await deps.db.waveExportFile.groupBy({ by: ['section'], where: { exportId: e.id }, _sum: { messages: true, bytes: true } });
  const of = (section: number) => sums.find((s) => s.section === section)?._sum;
  const messagesDone = of(SECTION.messages)?.messages ?? 0;
  const mediaBytesDone = Number(of(SECTION.media)?.bytes ?? 0n);
  const mediaBytesTotal = Number(e.mediaBytesTotal);
  const percent =
    e.status === 'completed'
      ? 100
      : exportPercent({
          messagesDone,
          messagesTotal: e.messagesTotal,
          media: mediaBytesTotal <= 0 ? (e.members === null ? 0 : 1) : mediaBytesDone / mediaBytesTotal,
          uploadedBytes: Number(e.uploadedBytes),
          bundleBytes: e.bundleBytes === null ? null : Number(e.bundleBytes),
        });
  if (e.status !== 'completed') return { export: e, messagesDone, mediaBytesDone, percent, downloadUrl: null, downloadExpiresAt: null };
  const ttl = deps.config.env.SCAIWAVE_EXPORT_URL_TTL_SECONDS;
  const downloadUrl = await getSignedUrl(deps.s3, new GetObjectCommand({ Bucket: deps.config.env.SCAIWAVE_S3_BUCKET, Key: e.objectKey }), { expiresIn: ttl });
  return { export: e, messagesDone, mediaBytesDone, percent, downloadUrl, downloadExpiresAt: new Date(now.getTime() + ttl * 1000) };
}
