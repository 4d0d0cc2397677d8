import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { startProcess, tail, type ManagedProcess } from './process.js';
import { freePort, waitUntil } from './ports.js';
import { binary } from './tools.js';

export interface SeaweedOptions {
  s3Port: number;
  dataDir: string;
  logDir: string;
  accessKey: string;
  secretKey: string;
  /** What it may store, in MB (default 1280: 20 volumes of 64 MB, enough for the tests); a bench moving gigabytes asks for more. */
  capacityMB?: number;
}

const VOLUME_MB = 64;

export function s3Client(endpoint: string, accessKey: string, secretKey: string, region = 'us-east-1'): S3Client {
  return new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey } });
}

/** One SeaweedFS process (master, volume, filer, S3 gateway) with every port chosen, so runs never collide. */
export async function startSeaweed(opts: SeaweedOptions): Promise<ManagedProcess> {
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const s3Config = path.join(opts.dataDir, 's3.json');
  fs.writeFileSync(
    s3Config,
    JSON.stringify({
      identities: [
        {
          name: 'scaiwave',
          credentials: [{ accessKey: opts.accessKey, secretKey: opts.secretKey }],
          actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
        },
      ],
    }),
  );
  const p = async (): Promise<string> => String(await freePort());
  const args = [
    'server',
    `-dir=${opts.dataDir}`,
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    `-master.port=${await p()}`, `-master.port.grpc=${await p()}`,
    `-volume.port=${await p()}`, `-volume.port.grpc=${await p()}`,
    `-volume.max=${Math.ceil((opts.capacityMB ?? 1280) / VOLUME_MB)}`, `-master.volumeSizeLimitMB=${VOLUME_MB}`,
    '-filer', `-filer.port=${await p()}`, `-filer.port.grpc=${await p()}`,
    '-s3', `-s3.port=${opts.s3Port}`, `-s3.port.grpc=${await p()}`,
    '-s3.port.iceberg=0', '-s3.port.lance=0',
    `-s3.config=${s3Config}`,
  ];
  const proc = startProcess('seaweedfs', binary('weed'), args, { logDir: opts.logDir });
  const endpoint = `http://127.0.0.1:${opts.s3Port}`;
  const client = s3Client(endpoint, opts.accessKey, opts.secretKey);
  const probe = async (): Promise<boolean> => {
    const res = await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
    return res.status > 0;
  };
  try {
    await Promise.race([
      waitUntil(`SeaweedFS S3 at ${endpoint}`, probe, 90_000),
      proc.exited.then((code) => {
        throw new Error(`seaweedfs exited with ${code}:\n${tail(proc.logFile)}`);
      }),
    ]);
  } catch (err) {
    await proc.stop(2000);
    throw err;
  } finally {
    client.destroy();
  }
  return proc;
}

/** The gateway answers before the filer is ready for writes, so creating the bucket is retried. */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  await waitUntil(`bucket ${bucket}`, async () => {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
      return true;
    } catch {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return true;
    }
  }, 60_000);
}
