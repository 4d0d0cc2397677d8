import fs from 'node:fs';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../lib/infra/logger.js';
import { audioContentType } from '../../lib/audio/format.js';
import type { AudioProbe } from '../../lib/audio/probe.js';
import type { QualityReport } from '../../lib/audio/quality.js';
import type { Caller } from '../../lib/auth/caller-identity.js';
import { AppError } from '../../lib/errors.js';
import type { Db } from '../../lib/infra/db.js';
import { newId } from '../../lib/infra/ids.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { speakerAbandonedSignal, speakerStoredSignal } from './workflows/enrollment.js';
import { startEnrollment } from './client.js';
import { consentObjectKey, ENROLLING_REASON, findTenantSpeaker, referenceObjectKey, type SpeakerWithRecords } from './speakers.js';

/** A recording received and probed: the file on local disk, and what it holds. */
export interface Recording {
  file: { path: string; bytes: number };
  probe: AudioProbe;
}

export interface Enrollment {
  displayName: string;
  consentTextVersion: string;
  reference: Recording;
  consent: Recording;
  quality: QualityReport;
}

interface EnrollDeps extends Starter {
  db: Db;
  s3: S3Client;
  logger: Logger;
}

/**
 * Stores a speaker to enroll. The workflow starts first: from then on,
 * whatever happens to this request, it either fans the speaker out or removes
 * what was stored. The two rows go in one transaction, after both objects.
 */
export async function enrollSpeaker(deps: EnrollDeps, caller: Caller, e: Enrollment): Promise<SpeakerWithRecords> {
  const { db, logger } = deps;
  const speakerId = newId();
  const workflow = await startEnrollment(deps, caller, speakerId).catch((err: unknown) => {
    logger.error({ err, speakerId }, 'could not start the enrollment workflow');
    throw new AppError('SERVICE_UNAVAILABLE', 'the enrollment could not be started; nothing was stored, try again');
  });
  const referenceKey = referenceObjectKey(speakerId, e.reference.probe.format);
  const consentKey = consentObjectKey(speakerId, e.consent.probe.format);
  const put = (r: Recording, key: string) =>
    deps.s3.send(
      new PutObjectCommand({
        Bucket: deps.config.env.SCAIWAVE_S3_BUCKET,
        Key: key,
        Body: fs.createReadStream(r.file.path),
        ContentLength: r.file.bytes,
        ContentType: audioContentType[r.probe.format],
      }),
    );
  try {
    // Both settle before anything is judged: a put still in flight would land after the clean-up.
    const puts = await Promise.allSettled([put(e.reference, referenceKey), put(e.consent, consentKey)]);
    for (const p of puts) if (p.status === 'rejected') throw p.reason;
    await db.$transaction([
      db.speakerProfile.create({
        data: {
          id: speakerId,
          tenantId: caller.tenantId,
          createdByUserId: caller.userId,
          displayName: e.displayName,
          statusReason: ENROLLING_REASON,
          referenceObjectKey: referenceKey,
          referenceFormat: e.reference.probe.format,
          quality: { ...e.quality },
        },
      }),
      db.speakerConsent.create({
        data: {
          speakerId,
          tenantId: caller.tenantId,
          capturedByUserId: caller.userId,
          textVersion: e.consentTextVersion,
          recordingObjectKey: consentKey,
        },
      }),
    ]);
  } catch (err) {
    logger.error({ err, speakerId }, 'could not store the enrollment');
    // Should this signal be lost as well, the workflow cleans up when its wait runs out.
    await workflow.signal(speakerAbandonedSignal).catch(() => undefined);
    throw new AppError('SERVICE_UNAVAILABLE', 'the speaker could not be stored; nothing was kept, try again');
  }
  // A lost signal only delays the fan-out: the workflow then looks for the rows itself.
  await workflow.signal(speakerStoredSignal).catch((err: unknown) => logger.warn({ err, speakerId }, 'stored signal not delivered'));
  return (await findTenantSpeaker(db, caller.tenantId, speakerId))!;
}
