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
// the laid-out archive (domains/export/tar.ts). Nothing is visible at the bundle's
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

function partSize(totalBytes: number): number {
  return Math.max(MIN_PART, Math.ceil(totalBytes / MAX_PARTS / MiB) * MiB);
}

export const partCount = (totalBytes: number): number => Math.ceil(totalBytes / partSize(totalBytes));

export async function createUpload(t: UploadTarget): Promise<string> {
  const out = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, ContentType: 'application/x-tar' }));
  return out.UploadId!;
}

/** Copies bytes [start, end) of an S3 object into `into` from `at`, as they stream in. */
async function readRangeInto(t: UploadTarget, source: FileSource, start: number, end: number, into: Buffer, at: number): Promise<void> {
  const object = await t.s3.send(
    new GetObjectCommand({ Bucket: t.bucket, Key: source.key, Range: `bytes=${start}-${end - 1}`, ...(source.etag ? { IfMatch: source.etag } : {}) }),
    { abortSignal: t.signal },
  );
  const want = end - start;
  let received = 0;
  for await (const c of object.Body as Readable) {
    const chunk = c as Buffer;
    if (received + chunk.length > want) throw new Error(`${source.key}: S3 answered a range of ${want} bytes with more`);
    chunk.copy(into, at + received);
    received += chunk.length;
  }
  if (received !== want) throw new Error(`${source.key}: S3 answered a range of ${want} bytes with ${received}`);
}

/**
 * Part n (1-based) of the bundle: the same bytes every time it is made. Its
 * bytes are written into one buffer of the part's size as they arrive, so a
 * part costs its own size in memory, not that again for each copy on the way.
 */
export async function makePart(t: UploadTarget, layout: BundleLayout, n: number): Promise<Buffer> {
  const size = partSize(layout.totalBytes);
  const from = (n - 1) * size;
  const part = Buffer.alloc(Math.max(0, Math.min(size, layout.totalBytes - from)));
  let at = 0;
  for (const s of segments(layout, from, from + size)) {
    if (s.kind === 'bytes') at += s.bytes.copy(part, at);
    else if ('content' in s.entry) at += s.entry.content.copy(part, at, s.start, s.end);
    else {
      await readRangeInto(t, s.entry.source, s.start, s.end, part, at);
      at += s.end - s.start;
    }
  }
  if (at !== part.length) throw new Error(`bundle part ${n}: the layout gave ${at} of its ${part.length} bytes`);
  return part;
}

interface UploadedPart {
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
