import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Db } from '../../lib/infra/db.js';
import type { QualityReport } from '../../lib/audio/quality.js';
import type { Prisma, SpeakerConsent, SpeakerErasure, SpeakerProfile } from '../../lib/generated/prisma/client.js';

// Enrolled speakers: biometric data, so everything about them lives under one
// S3 prefix (an erasure deletes the prefix) and under one tenant (another
// tenant's speaker does not exist, as far as a caller can tell).

export type SpeakerStatus = 'pending' | 'ready' | 'erasing' | 'erased';
export const SPEAKER_STATUSES: readonly SpeakerStatus[] = ['pending', 'ready', 'erasing', 'erased'];
/** A speaker in these states may be sent to nodes and used for attribution; any other is being or has been erased. */
export const ACTIVE: readonly SpeakerStatus[] = ['pending', 'ready'];

/** The reason a speaker carries from the enrollment route until its workflow settles it. */
export const ENROLLING_REASON = 'enrollment in progress';

export const speakerPrefix = (speakerId: string): string => `scaiecho/speakers/${speakerId}/`;
export const referenceObjectKey = (speakerId: string, ext: string): string => `${speakerPrefix(speakerId)}reference.${ext}`;
export const consentObjectKey = (speakerId: string, ext: string): string => `${speakerPrefix(speakerId)}consent.${ext}`;
/** Computed by a node during enrollment or re-warm; what the fan-out sends to every node. */
export const embeddingObjectKey = (speakerId: string): string => `${speakerPrefix(speakerId)}embedding.json`;

export type SpeakerWithRecords = SpeakerProfile & { consent: SpeakerConsent | null; erasure: SpeakerErasure | null };

const withRecords = { consent: true, erasure: true } as const;

/** The speaker as callers see it: no object keys, no biometric data. The status and quality columns hold what enrollment writes. */
export function speakerView(s: SpeakerWithRecords) {
  return {
    speaker_id: s.id,
    display_name: s.displayName,
    enrollment_status: s.enrollmentStatus as SpeakerStatus,
    status_reason: s.statusReason,
    quality: s.quality as unknown as QualityReport | null,
    consent: s.consent && {
      text_version: s.consent.textVersion,
      captured_by: s.consent.capturedByUserId,
      captured_at: s.consent.capturedAt.toISOString(),
      withdrawn_at: s.consent.withdrawnAt?.toISOString() ?? null,
    },
    erasure_id: s.erasure?.id ?? null,
    created_at: s.createdAt.toISOString(),
    ready_at: s.readyAt?.toISOString() ?? null,
    erased_at: s.erasedAt?.toISOString() ?? null,
  };
}

export function findTenantSpeaker(db: Db, tenantId: string, speakerId: string): Promise<SpeakerWithRecords | null> {
  return db.speakerProfile.findFirst({ where: { id: speakerId, tenantId }, include: withRecords });
}

/** Newest first; the cursor is the last speaker id seen (ids are time-ordered). Erased speakers only when asked for. */
export async function listTenantSpeakers(
  db: Db,
  tenantId: string,
  opts: { status?: SpeakerStatus; cursor?: string; limit: number },
): Promise<{ speakers: SpeakerWithRecords[]; nextCursor: string | null }> {
  const where: Prisma.SpeakerProfileWhereInput = {
    tenantId,
    enrollmentStatus: opts.status ?? { not: 'erased' },
    ...(opts.cursor ? { id: { lt: opts.cursor } } : {}),
  };
  const rows = await db.speakerProfile.findMany({ where, orderBy: { id: 'desc' }, take: opts.limit + 1, include: withRecords });
  const page = rows.slice(0, opts.limit);
  return { speakers: page, nextCursor: rows.length > opts.limit ? (page.at(-1)?.id ?? null) : null };
}

/** The tenant's ready speakers, narrowed to `ids` when given: who attribution may name. */
export function readySpeakers(db: Db, tenantId: string, ids: string[] | null) {
  return db.speakerProfile.findMany({
    where: { tenantId, enrollmentStatus: 'ready', ...(ids ? { id: { in: ids } } : {}) },
    select: { id: true, displayName: true },
  });
}

/**
 * Deletes every object of the speaker: the known keys and whatever else is
 * under its prefix. Returns the keys, absent ones included, so a retry after a
 * partial deletion reports the same set.
 */
export async function deleteSpeakerObjects(s3: S3Client, bucket: string, speakerId: string, known: (string | null | undefined)[]): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: speakerPrefix(speakerId) }));
  const keys = [...new Set([...known, embeddingObjectKey(speakerId), ...(listed.Contents ?? []).map((o) => o.Key)])]
    .filter((k): k is string => Boolean(k))
    .sort();
  for (const Key of keys) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  return keys;
}
