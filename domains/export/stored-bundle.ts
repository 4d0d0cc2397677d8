import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { BUNDLE_PATHS, manifestSchema, type Manifest } from './format.js';
import { layOut } from './tar.js';
import { NamedFailure } from '../../lib/temporal/failures.js';

// One entry of a bundle stored in S3, read without reading the rest. A bundle
// is laid out as domains/export/tar.ts lays it out, so where each entry starts
// follows from the sizes of the entries before it: manifest.json's (its own
// header says), manifest.sig's if there is one, and those the manifest lists.
// The import verifies the whole bundle first (domains/export/bundle-reader.ts
// refuses anything but that plain layout); these reads come after, and each
// takes the entry's header with its data and checks that it names the entry
// expected there, so a layout it did not expect fails loudly instead of being
// read at the wrong offsets.

const BLOCK = 512;

export interface StoredBundle {
  bucket: string;
  key: string;
}

interface EntrySpan {
  path: string;
  headerOffset: number;
  dataOffset: number;
  bytes: number;
}

export interface BundleIndex {
  manifest: Manifest;
  entries: Map<string, EntrySpan>;
}

/** The bundle is not laid out as the exporter writes bundles. */
/** A verified bundle that still does not restore: the detail may name a file of it, so the public message is ours. */
export class BundleLayoutError extends NamedFailure {
  override name = 'BundleLayoutError';
  constructor(detail: string) {
    super('IMPORT_BUNDLE_LAYOUT', detail, 'the bundle is not laid out as ScaiWave writes bundles');
  }
}

const cString = (buf: Buffer, at: number, width: number): string => {
  const field = buf.subarray(at, at + width);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? width : end).toString('utf8');
};

/** A ustar header's path and size, or null when the block is not a ustar header. */
function parseTarHeader(h: Buffer): { path: string; bytes: number } | null {
  if (h.length < BLOCK || h.toString('latin1', 257, 262) !== 'ustar') return null;
  const name = cString(h, 0, 100);
  const prefix = cString(h, 345, 155);
  const size = Number.parseInt(cString(h, 124, 12).trim() || 'x', 8);
  if (!Number.isSafeInteger(size)) return null;
  return { path: prefix ? `${prefix}/${name}` : name, bytes: size };
}

async function range(s3: S3Client, b: StoredBundle, from: number, to: number, signal?: AbortSignal): Promise<Readable> {
  const res = await s3.send(new GetObjectCommand({ Bucket: b.bucket, Key: b.key, Range: `bytes=${from}-${to - 1}` }), { abortSignal: signal });
  return res.Body as Readable;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

async function headerAt(s3: S3Client, b: StoredBundle, offset: number): Promise<{ path: string; bytes: number } | null> {
  return parseTarHeader(await readAll(await range(s3, b, offset, offset + BLOCK)));
}

const padded = (n: number): number => Math.ceil(n / BLOCK) * BLOCK;

/** Reads the manifest (and whether a signature follows it) and works out where every listed file is. */
export async function readBundleIndex(s3: S3Client, b: StoredBundle): Promise<BundleIndex> {
  const first = await headerAt(s3, b, 0);
  if (!first || first.path !== BUNDLE_PATHS.manifest) throw new BundleLayoutError(`the archive does not open with ${BUNDLE_PATHS.manifest}`);
  const manifestText = first.bytes === 0 ? '' : (await readAll(await range(s3, b, BLOCK, BLOCK + first.bytes))).toString('utf8');
  const manifest = manifestSchema.parse(JSON.parse(manifestText));
  const second = await headerAt(s3, b, BLOCK + padded(first.bytes));
  const signatureBytes = second?.path === BUNDLE_PATHS.signature ? second.bytes : null;
  const layout = layOut([
    { path: BUNDLE_PATHS.manifest, bytes: first.bytes, mtime: 0 },
    ...(signatureBytes === null ? [] : [{ path: BUNDLE_PATHS.signature, bytes: signatureBytes, mtime: 0 }]),
    ...manifest.files.map((f) => ({ path: f.path, bytes: f.bytes, mtime: 0 })),
  ]);
  const entries = new Map<string, EntrySpan>(
    layout.entries.map((p) => [p.entry.path, { path: p.entry.path, headerOffset: p.headerOffset, dataOffset: p.dataOffset, bytes: p.entry.bytes }]),
  );
  return { manifest, entries };
}

/** The entry's place in the index, or a layout error naming what is missing. */
export function spanOf(index: BundleIndex, path: string): EntrySpan {
  const span = index.entries.get(path);
  if (!span) throw new BundleLayoutError(`the manifest lists no ${path}`);
  return span;
}

async function* checkedData(s3: S3Client, b: StoredBundle, span: EntrySpan, limit: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const body = await range(s3, b, span.headerOffset, span.dataOffset + Math.min(span.bytes, limit), signal);
  let head: Buffer | null = Buffer.alloc(0);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (head === null) {
        yield chunk;
        continue;
      }
      head = Buffer.concat([head, chunk]);
      if (head.length < BLOCK) continue;
      const found = parseTarHeader(head.subarray(0, BLOCK));
      if (!found || found.path !== span.path || found.bytes !== span.bytes) {
        throw new BundleLayoutError(`the archive holds ${found ? found.path : 'no entry'} where ${span.path} should be`);
      }
      const rest = head.subarray(BLOCK);
      head = null;
      if (rest.length > 0) yield rest;
    }
  } finally {
    body.destroy();
  }
  if (head !== null) throw new BundleLayoutError(`the archive ends before ${span.path}`);
}

/** The entry's bytes, streamed: one ranged GET, its header checked first. */
export const entryStream = (s3: S3Client, b: StoredBundle, span: EntrySpan, signal?: AbortSignal): Readable =>
  Readable.from(checkedData(s3, b, span, span.bytes, signal), { objectMode: false });

/** The entry's first `n` bytes (fewer when it is shorter). */
export async function entryHead(s3: S3Client, b: StoredBundle, span: EntrySpan, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of checkedData(s3, b, span, n)) parts.push(chunk);
  return Buffer.concat(parts);
}
