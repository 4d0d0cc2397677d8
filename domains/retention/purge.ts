import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Env } from '../../lib/config.js';
import type { Db } from '../../lib/infra/db.js';
import { TERMINAL } from '../scaiecho/jobs.js';

// Retention: staged audio of finished jobs leaves S3 after the tenant's
// staged-audio period; finished jobs (row, transcript, audio) go after the job
// period. Both counted from when the job was submitted. Each removal leaves a
// row in retention_purges, written in the same transaction as the database
// change and only by the attempt that made it, so a retried purge neither
// misses an object nor records one twice. S3 goes first: a crash after it
// leaves a row that the next attempt finds and finishes.

interface RetentionDays {
  stagedAudioDays: number;
  jobDays: number;
}

const positive = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

/** tenants.features.retention, falling back to the SCAIWAVE_RETENTION_* defaults. */
export function retentionOf(features: unknown, env: Env): RetentionDays {
  const r = ((features ?? {}) as { retention?: Record<string, unknown> }).retention ?? {};
  return {
    stagedAudioDays: positive(r.staged_audio_days) ?? env.SCAIWAVE_RETENTION_STAGED_AUDIO_DAYS,
    jobDays: positive(r.job_days) ?? env.SCAIWAVE_RETENTION_JOB_DAYS,
  };
}

export const cutoffOf = (now: Date, days: number): Date => new Date(now.getTime() - days * 86_400_000);

export interface PurgeContext {
  db: Db;
  s3: S3Client;
  bucket: string;
  runId: string;
  tenantId: string;
  cutoff: Date;
  /** users under a legal hold (domains/holds/): their jobs and audio stay */
  heldUserIds: string[];
  /** resume after this job id (a retried attempt's last heartbeat) */
  after?: string;
  /** after each page, with the last job id done */
  onPage?: (lastId: string, purged: number) => void;
}

const PAGE = 100;

const notHeld = (c: PurgeContext) => (c.heldUserIds.length > 0 ? { userId: { notIn: c.heldUserIds } } : {});
const terminal = [...TERMINAL];

async function deleteObject(c: PurgeContext, key: string): Promise<void> {
  // S3 answers a delete of a missing key with success, so a repeat is harmless.
  await c.s3.send(new DeleteObjectCommand({ Bucket: c.bucket, Key: key }));
}

/** Staged audio of the tenant's finished jobs submitted before the cutoff; the job rows stay. */
export async function purgeStagedAudio(c: PurgeContext): Promise<number> {
  let purged = 0;
  let after = c.after;
  for (;;) {
    const page = await c.db.transcriptionJob.findMany({
      where: {
        tenantId: c.tenantId,
        status: { in: terminal },
        audioObjectKey: { not: null },
        ...notHeld(c),
        createdAt: { lt: c.cutoff },
        ...(after ? { id: { gt: after } } : {}),
      },
      orderBy: { id: 'asc' },
      take: PAGE,
      select: { id: true, audioObjectKey: true },
    });
    for (const job of page) {
      const key = job.audioObjectKey!;
      await deleteObject(c, key);
      const done = await c.db.$transaction(async (tx) => {
        const { count } = await tx.transcriptionJob.updateMany({ where: { id: job.id, audioObjectKey: key }, data: { audioObjectKey: null } });
        if (count !== 1) return false;
        await tx.retentionPurge.create({
          data: { runId: c.runId, tenantId: c.tenantId, kind: 'staged_audio', subjectId: job.id, objectKey: key },
        });
        return true;
      });
      if (done) purged++;
    }
    if (page.length === 0) return purged;
    after = page.at(-1)!.id;
    c.onPage?.(after, purged);
  }
}

/** The tenant's finished jobs submitted before the cutoff, with their staged audio. */
export async function purgeExpiredJobs(c: PurgeContext): Promise<number> {
  let purged = 0;
  let after = c.after;
  for (;;) {
    const page = await c.db.transcriptionJob.findMany({
      where: { tenantId: c.tenantId, status: { in: terminal }, createdAt: { lt: c.cutoff }, ...notHeld(c), ...(after ? { id: { gt: after } } : {}) },
      orderBy: { id: 'asc' },
      take: PAGE,
      select: { id: true, audioObjectKey: true },
    });
    for (const job of page) {
      if (job.audioObjectKey) await deleteObject(c, job.audioObjectKey);
      const done = await c.db.$transaction(async (tx) => {
        const { count } = await tx.transcriptionJob.deleteMany({ where: { id: job.id } });
        if (count !== 1) return false;
        await tx.retentionPurge.create({
          data: { runId: c.runId, tenantId: c.tenantId, kind: 'transcription_job', subjectId: job.id, objectKey: job.audioObjectKey },
        });
        return true;
      });
      if (done) purged++;
    }
    if (page.length === 0) return purged;
    after = page.at(-1)!.id;
    c.onPage?.(after, purged);
  }
}
