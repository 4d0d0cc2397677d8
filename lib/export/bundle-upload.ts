import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListPartsCommand,
  NoSuchUpload,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { BundleEntry } from './bundle-plan.js';
import type { FileSource } from './bundle-manifest.js';
import { segments, type TarLayout } from './tar.js';

// The bundle goes to S3 as one multipart upload whose parts are byte ranges of
// the laid-out archive (lib/export/tar.ts). Nothing is visible at the bundle's
// key until the upload completes; a part is made from the layout alone, so after
// a crash the parts S3 already holds are kept (ListParts) and only the missing
// ones are made. Memory is a part or two, whatever the bundle's size.

const MiB = 1024 * 1024;
/** S3's floor is 5 MiB for every part but the last, and its ceiling 10,000 parts. */
const MIN_PART = 8 * MiB;
const MAX_PARTS = 10_000;

export type BundleLayout = TarLayout<BundleEntry<FileSource>>;

export interface UploadTarget {
  s3: S3Client;
  bucket: string;
  key: string;
  signal?: AbortSignal;
}

export function partSize(totalBytes: number): number {
  return Math.max(MIN_PART, Math.ceil(totalBytes / MAX_PARTS / MiB) * MiB);
}

export const partCount = (totalBytes: number): number => Math.ceil(totalBytes / partSize(totalBytes));

export async function createUpload(t: UploadTarget): Promise<string> {
  const out = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, ContentType: 'application/x-tar' }));
  return out.UploadId!;
}

async function readRange(t: UploadTarget, source: FileSource, start: number, end: number): Promise<Buffer> {
  const object = await t.s3.send(
    new GetObjectCommand({ Bucket: t.bucket, Key: source.key, Range: `bytes=${start}-${end - 1}`, ...(source.etag ? { IfMatch: source.etag } : {}) }),
    { abortSignal: t.signal },
  );
  const chunks: Buffer[] = [];
  for await (const c of object.Body as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Part n (1-based) of the bundle: the same bytes every time it is made. */
export async function makePart(t: UploadTarget, layout: BundleLayout, n: number): Promise<Buffer> {
  const size = partSize(layout.totalBytes);
  const pieces: Buffer[] = [];
  for (const s of segments(layout, (n - 1) * size, n * size)) {
    if (s.kind === 'bytes') pieces.push(s.bytes);
    else if ('content' in s.entry) pieces.push(s.entry.content.subarray(s.start, s.end));
    else pieces.push(await readRange(t, s.entry.source, s.start, s.end));
  }
  return Buffer.concat(pieces);
}

export interface UploadedPart {
  PartNumber: number;
  ETag: string;
  Size: number;
}

export async function listParts(t: UploadTarget, uploadId: string): Promise<UploadedPart[]> {
  const parts: UploadedPart[] = [];
  let marker: string | undefined;
  do {
    const page = await t.s3.send(new ListPartsCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId, PartNumberMarker: marker }));
    for (const p of page.Parts ?? []) parts.push({ PartNumber: p.PartNumber!, ETag: p.ETag!, Size: p.Size ?? 0 });
    marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
  } while (marker);
  return parts;
}

export async function uploadPart(t: UploadTarget, uploadId: string, n: number, body: Buffer): Promise<void> {
  await t.s3.send(
    new UploadPartCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId, PartNumber: n, Body: body, ContentLength: body.length }),
    { abortSignal: t.signal },
  );
}

export async function completeUpload(t: UploadTarget, uploadId: string, parts: UploadedPart[]): Promise<void> {
  const sorted = [...parts].sort((a, b) => a.PartNumber - b.PartNumber);
  await t.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: t.bucket,
      Key: t.key,
      UploadId: uploadId,
      MultipartUpload: { Parts: sorted.map((p) => ({ PartNumber: p.PartNumber, ETag: p.ETag })) },
    }),
  );
}

/** Gone already counts as aborted: aborting is repeated when a cancelled export is cleaned up again. */
export async function abortUpload(t: UploadTarget, uploadId: string): Promise<void> {
  try {
    await t.s3.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId }));
  } catch (err) {
    if (!(err instanceof NoSuchUpload)) throw err;
  }
}
