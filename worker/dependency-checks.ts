import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../lib/config.js';
import { pingClamd } from '../lib/infra/clamd.js';
import type { Check } from '../lib/infra/health.js';

/**
 * An HTTP service is up when it answers anything below 500: an unauthenticated
 * GET of its base URL proves the address, the TLS and the process, which is what
 * an alert needs to tell "down" from "slow".
 */
async function answers(url: string): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  if (res.status >= 500) throw new Error(`answered ${res.status}`);
}

/**
 * What activities reach besides MariaDB, Redis, NATS and Temporal (the API's
 * /health checks those): S3 always, clamd, the STT relay and ScaiGrid when this
 * deployment configures them. Reported as scaiwave_dependency_up on the worker.
 */
export function workerDependencyChecks(config: Config, s3: S3Client): Record<string, Check> {
  const e = config.env;
  const checks: Record<string, Check> = {
    s3: () => s3.send(new HeadBucketCommand({ Bucket: e.SCAIWAVE_S3_BUCKET })),
  };
  if (e.SCAIWAVE_CLAMAV_URL) checks.clamd = () => pingClamd(e.SCAIWAVE_CLAMAV_URL!);
  if (e.SCAIWAVE_SCAIECHO_RELAY_URL) checks.relay = () => answers(e.SCAIWAVE_SCAIECHO_RELAY_URL!);
  if (e.SCAIWAVE_SCAIGRID_URL) checks.scaigrid = () => answers(e.SCAIWAVE_SCAIGRID_URL!);
  return checks;
}
