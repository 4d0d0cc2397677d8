import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Prisma, type WaveImport, type WaveWorkspace } from '../../lib/generated/prisma/client.js';
import type { Db } from '../../lib/infra/db.js';
import { newId } from '../../lib/infra/ids.js';
import type { Logger } from '../../lib/infra/logger.js';
import { uploadStream, UploadTooLargeError } from '../../lib/infra/s3-upload.js';
import { AppError, notFound } from '../../lib/errors.js';
import { BundleHeadRefused, judgedAsItStreams } from './bundle-head.js';
import type { BundleReport } from './bundle-reader.js';
import { importIdOf } from './import-ids.js';
import { importProblem } from './import-verify.js';
import { keysToCheck, refusalOf, type ImportWaivers, type Refusal } from './import-trust.js';

// Imports of room bundles, from the API and the CLI alike: the workspace is
// checked before a byte of the bundle is read; the bundle is streamed to S3
// under the tenant's prefix (bounded memory, hashed on the way), judged by its
// signature and tenant as it streams (domains/export/import-trust.ts), so a
// refused bundle is answered 422 with nothing stored or recorded; its sha256
// and the workspace name the import (domains/export/import-ids.ts), so the same
// bundle sent again finds the import it started rather than a second one. The
// workflow (domains/export/workflows/room-import.ts) verifies before it writes anything.

export const IMPORT_STATUSES = ['verifying', 'restoring', 'completed', 'refused', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];
/** Nothing more happens to an import in these: sending the bundle again shows it as it is. */
const SETTLED: ReadonlySet<string> = new Set<ImportStatus>(['completed', 'refused']);

export const BUNDLE_MEDIA_TYPE = 'application/x-tar';

/** Where an uploaded bundle waits for its import, under the tenant's prefix; deleted once the import settles. */
const stagedBundleKey = (tenantId: string, uploadId: string): string => `${tenantId}/wave/imports/${uploadId}.tar`;

interface ImportRequest {
  tenantId: string;
  workspaceId: string;
  /** null: an operator at the CLI */
  requestedById: string | null;
}

/** What the bundle is judged by: the keys trusted here (trustedImportKeys) and what the importer waived. */
interface ImportTerms {
  trusted: readonly Buffer[];
  waivers: ImportWaivers;
  /** who ran the CLI (`user@host`); null through the API, where nothing may be waived */
  operator: string | null;
}

interface ImportDeps {
  db: Db;
  s3: S3Client;
  bucket: string;
  logger: Logger;
}

/** The workspace an import goes to: another tenant's is not found; an archived one takes no new rooms. */
export async function importWorkspace(db: Db, tenantId: string, workspaceId: string): Promise<WaveWorkspace> {
  const ws = await db.waveWorkspace.findFirst({ where: { id: workspaceId, tenantId } });
  if (!ws) throw notFound('workspace');
  if (ws.archivedAt) throw new AppError('CONFLICT', 'the workspace is archived');
  return ws;
}

const isDuplicate = (err: unknown): boolean => err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';

/**
 * Stores the bundle and finds or makes its import. `start` is whether its
 * workflow must be (re)started: always, unless the import has settled (the
 * start is idempotent, and a request that died between the row and the start
 * leaves an import only the next send can set going). A failed import is
 * retried from its verification. A bundle its head refuses throws the 422
 * before anything is kept.
 */
export async function receiveBundle(
  deps: ImportDeps,
  req: ImportRequest,
  terms: ImportTerms,
  body: AsyncIterable<Buffer>,
  maxBytes: number,
): Promise<{ row: WaveImport; start: boolean }> {
  const key = stagedBundleKey(req.tenantId, newId());
  let head: BundleReport | null = null;
  const judged = judgedAsItStreams(body, keysToCheck(terms.trusted, terms.waivers), (report): Refusal | null => {
    head = report;
    return refusalOf(report, req.tenantId, terms.trusted, terms.waivers);
  });
  let stored;
  try {
    stored = await uploadStream(deps.s3, { bucket: deps.bucket, key, contentType: BUNDLE_MEDIA_TYPE }, judged, maxBytes);
  } catch (err) {
    if (err instanceof UploadTooLargeError) throw new AppError('PAYLOAD_TOO_LARGE', `the bundle is larger than ${maxBytes} bytes (SCAIWAVE_IMPORT_MAX_BYTES)`);
    if (err instanceof BundleHeadRefused) throw refusedError(err.refusal as Refusal);
    throw err;
  }
  const { manifest, signer } = head as unknown as BundleReport;
  const trust = {
    signerFingerprint: signer?.fingerprint ?? null,
    sourceTenantId: manifest!.tenant.id,
    unsignedAllowed: terms.waivers.unsigned,
    otherTenantAllowed: terms.waivers.otherTenant && manifest!.tenant.id !== req.tenantId,
    operator: terms.operator?.slice(0, 64) ?? null,
  };
  const id = importIdOf(req.workspaceId, stored.sha256);
  try {
    const row = await deps.db.waveImport.create({
      data: { id, ...req, ...trust, bundleSha256: stored.sha256, bundleBytes: stored.bytes, objectKey: key, status: 'verifying' satisfies ImportStatus },
    });
    await auditWaivers(deps.db, row);
    return { row, start: true };
  } catch (err) {
    if (!isDuplicate(err)) {
      await discardObject(deps, key);
      throw err;
    }
  }
  // Sent before: this copy is not needed, unless the first one's import failed and runs again from it.
  const existing = await deps.db.waveImport.findUniqueOrThrow({ where: { id } });
  if (existing.status !== 'failed') {
    await discardObject(deps, key);
    return { row: existing, start: !SETTLED.has(existing.status) };
  }
  const row = await deps.db.waveImport.update({ where: { id }, data: { ...trust, status: 'verifying' satisfies ImportStatus, objectKey: key, error: null, problems: Prisma.DbNull } });
  await auditWaivers(deps.db, row);
  await discardObject(deps, existing.objectKey);
  return { row, start: true };
}

/**
 * An operator's waiver goes into the audit log beside the API's requests, as
 * the one place compliance reads who did what: method CLI, the import's id as
 * the request id, the waivers as the route. The import row says the same.
 */
async function auditWaivers(db: Db, row: WaveImport): Promise<void> {
  const waived = [row.unsignedAllowed ? '--allow-unsigned' : null, row.otherTenantAllowed ? `bundle of tenant ${row.sourceTenantId}` : null].filter((w) => w !== null);
  if (waived.length === 0) return;
  await db.auditLog.create({
    data: {
      requestId: row.id,
      tenantId: row.tenantId,
      method: 'CLI',
      route: `scaiwave room import ${waived.join(', ')}`.slice(0, 255),
      path: `/v1/wave/workspaces/${row.workspaceId}/imports`,
      status: 202,
      durationMs: 0,
      userAgent: `operator ${row.operator ?? 'unknown'}`,
    },
  });
}

/** The 422 for a refused head: our words, and the problems by file as an import's problems are listed. */
function refusedError(refusal: Refusal): AppError {
  return new AppError(refusal.code, refusal.message, { problems: refusal.problems.map(importProblem) });
}

/** Best effort: an object left behind costs storage, not correctness. */
async function discardObject(deps: ImportDeps, key: string): Promise<void> {
  await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: key })).catch((err: unknown) => deps.logger.warn({ err, key }, 'could not delete a staged bundle'));
}

/** An import of the caller's tenant; another tenant's is not found. */
export async function findImport(db: Db, tenantId: string, importId: string): Promise<WaveImport> {
  const row = await db.waveImport.findFirst({ where: { id: importId, tenantId } });
  if (!row) throw notFound('import');
  return row;
}
