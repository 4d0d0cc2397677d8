import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { extract } from 'tar-stream';
import { found, type Needle, type StoreScan, type TraceHit } from './needles.js';

// Every key of the bucket is checked by name. The contents (and metadata) of
// the tenant's own objects are read: everything ScaiWave stores for a tenant
// lives under `{tenant}/` or its quarantine copy; ScaiEcho's audio and voices
// (under `scaiecho/`) hold sound, not text, and are checked by key only.
// Compressed objects and tar bundles are opened, so a phrase inside an export's
// gzipped messages is found too. Objects over READ_LIMIT are listed as skipped.

const READ_LIMIT = 256 * 1024 * 1024;

const isGzip = (b: Buffer) => b.length > 2 && b[0] === 0x1f && b[1] === 0x8b;
const isTar = (b: Buffer) => b.length > 262 && b.subarray(257, 262).toString('latin1') === 'ustar';

/** The bytes, and what they unpack to: a gzip's content, a tar's files, each unpacked again. */
async function layers(bytes: Buffer): Promise<Buffer[]> {
  if (isGzip(bytes)) return [bytes, ...(await layers(gunzipSync(bytes)))];
  if (!isTar(bytes)) return [bytes];
  const files: Buffer[] = [];
  const x = extract();
  const done = new Promise<void>((resolve, reject) => {
    x.on('entry', (_h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', () => {
        files.push(Buffer.concat(chunks));
        next();
      });
    });
    x.on('finish', resolve);
    x.on('error', reject);
  });
  Readable.from([bytes]).pipe(x);
  await done;
  return [bytes, ...(await Promise.all(files.map(layers))).flat()];
}

export async function scanS3(s3: S3Client, bucket: string, tenantId: string, needles: readonly Needle[]): Promise<StoreScan> {
  const hits: TraceHit[] = [];
  const skipped: string[] = [];
  const ownPrefixes = [`${tenantId}/`, `quarantine/${tenantId}/`];
  let read = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    token = page.NextContinuationToken;
    for (const o of page.Contents ?? []) {
      const key = o.Key!;
      read += 1;
      for (const n of found(Buffer.from(key), needles)) hits.push({ store: 's3', where: `key ${key}`, needle: n.label, count: 1 });
      if (!ownPrefixes.some((p) => key.startsWith(p))) continue;
      if ((o.Size ?? 0) > READ_LIMIT) {
        skipped.push(`${key}: ${o.Size} bytes, checked by key only`);
        continue;
      }
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = Buffer.from(await got.Body!.transformToByteArray());
      const meta = Buffer.from(JSON.stringify({ ...got.Metadata, disposition: got.ContentDisposition ?? null }));
      const hitBy = new Set([...found(meta, needles), ...(await layers(body)).flatMap((l) => found(l, needles))]);
      for (const n of hitBy) hits.push({ store: 's3', where: `object ${key}`, needle: n.label, count: 1 });
    }
  } while (token);
  return { store: 's3', read, hits, skipped };
}
