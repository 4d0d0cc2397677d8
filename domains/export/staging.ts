import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Db } from '../../lib/infra/db.js';
import { recordExportFile, type ExportFileRow } from './export-files.js';
import { stagedKey } from './export-keys.js';

export interface StagingTarget {
  db: Db;
  s3: S3Client;
  bucket: string;
  tenantId: string;
  exportId: string;
}

/** Puts one bundle file under the export's staging prefix and records its size and hash. */
export async function stageFile(
  t: StagingTarget,
  file: Omit<ExportFileRow, 'objectKey' | 'bytes' | 'sha256'>,
  content: Buffer,
): Promise<{ bytes: number; sha256: string }> {
  const key = stagedKey(t.tenantId, t.exportId, file.path);
  const sha256 = createHash('sha256').update(content).digest('hex');
  await t.s3.send(new PutObjectCommand({ Bucket: t.bucket, Key: key, Body: content, ContentLength: content.length }));
  await recordExportFile(t.db, t.exportId, { ...file, objectKey: key, bytes: content.length, sha256 });
  return { bytes: content.length, sha256 };
}
