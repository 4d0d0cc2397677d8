import fs from 'node:fs';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { audioContentType, type AudioFormat } from '../../lib/audio/format.js';
import type { Db } from '../../lib/infra/db.js';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/infra/logger.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { audioObjectKey, type NewJob, type TranscriptionJob } from './jobs.js';
import { startTranscriptionWorkflow } from './client.js';

export interface QueueDeps extends Starter {
  db: Db;
  s3: S3Client;
  logger: Logger;
}

/** The received upload, on local disk until it is staged. */
export interface ReceivedAudio {
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * Stage, record, start: the audio in S3, the queued row, the job's workflow.
 * Undone in reverse if a later step fails, so nothing is left half-written and
 * the caller may simply try again.
 */
export async function queueJob(
  deps: QueueDeps,
  tenant: { tenantId: string; tenantSlug: string },
  row: NewJob,
  audio: ReceivedAudio & { format: AudioFormat },
): Promise<TranscriptionJob> {
  const key = audioObjectKey(row.id, audio.format);
  const bucket = deps.config.env.SCAIWAVE_S3_BUCKET;
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: fs.createReadStream(audio.path),
      ContentLength: audio.bytes,
      ContentType: audioContentType[audio.format],
    }),
  );
  let created = false;
  try {
    const job = await deps.db.transcriptionJob.create({ data: { ...row, status: 'queued', isAsync: true, audioObjectKey: key } });
    created = true;
    await startTranscriptionWorkflow(deps, tenant, job);
    return job;
  } catch (err) {
    deps.logger.error({ err, jobId: row.id }, 'could not queue transcription job');
    if (created) await deps.db.transcriptionJob.delete({ where: { id: row.id } }).catch(() => undefined);
    await deps.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    throw new AppError('SERVICE_UNAVAILABLE', 'the job could not be queued; nothing was stored, try again');
  }
}
