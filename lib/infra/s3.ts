import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config.js';

export function createS3(config: Config): S3Client {
  const e = config.env;
  return new S3Client({
    endpoint: e.SCAIWAVE_S3_ENDPOINT,
    region: e.SCAIWAVE_S3_REGION,
    forcePathStyle: e.SCAIWAVE_S3_FORCE_PATH_STYLE,
    credentials: { accessKeyId: e.SCAIWAVE_S3_ACCESS_KEY, secretAccessKey: e.SCAIWAVE_S3_SECRET_KEY },
  });
}
