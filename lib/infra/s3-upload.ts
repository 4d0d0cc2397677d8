import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

// Streams a body of unknown length to one S3 object, hashing and counting it
// on the way: a part at a time (S3 multipart upload), so memory holds one part
// whatever the length, and the source is read only as fast as parts are
// stored. A body under one part is a single PUT. Any failure aborts the
// multipart upload, so nothing is left visible or billed.

/** S3's smallest part but the last is 5 MiB; parts of 8 MiB keep requests few and memory small. */
const MIN_PART_BYTES = 8 * 1024 * 1024;
/** S3's most parts in one upload. */
const MAX_PARTS = 10_000;

/** The body is longer than the caller allows; nothing was kept. */
export class UploadTooLargeError extends Error {
  override name = 'UploadTooLargeError';
}

interface StreamedObject {
  bytes: number;
  sha256: string;
}

export async function uploadStream(
  s3: S3Client,
  target: { bucket: string; key: string; contentType: string },
  source: AsyncIterable<Buffer>,
  maxBytes: number,
): Promise<StreamedObject> {
  const { bucket: Bucket, key: Key, contentType: ContentType } = target;
  // Large enough that the largest allowed body fits in S3's part limit.
  const partBytes = Math.max(MIN_PART_BYTES, Math.ceil(maxBytes / MAX_PARTS));
  const hash = createHash('sha256');
  let bytes = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];

  const sendPart = async (): Promise<void> => {
    uploadId ??= (await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType }))).UploadId;
    const body = Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    const PartNumber = parts.length + 1;
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber, Body: body, ContentLength: body.length }));
    parts.push({ ETag, PartNumber });
  };

  try {
    for await (const chunk of source) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw new UploadTooLargeError(`larger than ${maxBytes} bytes`);
      hash.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= partBytes) await sendPart();
    }
    if (uploadId === undefined) {
      const body = Buffer.concat(pending);
      await s3.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentLength: body.length, ContentType }));
    } else {
      if (pendingBytes > 0) await sendPart();
      await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    }
  } catch (err) {
    if (uploadId !== undefined) await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })).catch(() => undefined);
    throw err;
  }
  return { bytes, sha256: hash.digest('hex') };
}
