import { z } from 'zod';
import type { Db } from '../../lib/infra/db.js';
import { AppError } from '../../lib/errors.js';
import { ACTIVE } from './speakers.js';

// Which enrolled speakers a transcription job may name: `speakers=true` for
// any of the tenant's ready speakers, or a comma-separated list of ids.

export type SpeakerSelection = 'all' | string[] | undefined;

export const speakerSelection = z
  .string()
  .regex(/^(true|false|[0-9a-f-]{36}(,[0-9a-f-]{36}){0,99})$/, { message: 'must be true, false or a comma-separated list of speaker ids' })
  .optional()
  .transform((v): SpeakerSelection => (v === undefined || v === 'false' ? undefined : v === 'true' ? 'all' : v.split(',')));

/** The job row's columns for a selection. */
export const attributionColumns = (s: SpeakerSelection) => ({
  attributeSpeakers: s !== undefined,
  ...(Array.isArray(s) ? { speakerIds: s } : {}),
});

/** Listed speakers must be the tenant's own and not erased; another tenant's is as unknown as one that never existed. */
export async function requireSpeakers(db: Db, tenantId: string, s: SpeakerSelection): Promise<void> {
  if (!Array.isArray(s)) return;
  const found = await db.speakerProfile.findMany({ where: { tenantId, id: { in: s }, enrollmentStatus: { in: [...ACTIVE] } }, select: { id: true } });
  const unknown = s.filter((id) => !found.some((f) => f.id === id));
  if (unknown.length > 0) throw new AppError('VALIDATION_ERROR', `speakers: no such speakers: ${unknown.join(', ')}`);
}
