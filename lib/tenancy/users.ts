import { AppError } from '../errors.js';
import { newId } from '../infra/ids.js';
import type { Db } from '../infra/db.js';
import { Prisma, type User } from '../generated/prisma/client.js';
import { MAX_DISPLAY_NAME_CHARS, MAX_EMAIL_CHARS, subjectProblem, type AssignableUserSource, type UserSource } from './user-fields.js';

export type { User };

/** The column holds one of USER_SOURCES; anything else is treated as `scaikey`, the column's default. */
export const userSource = (user: Pick<User, 'source'>): UserSource => (user.source === 'local' || user.source === 'import' ? user.source : 'scaikey');

interface NewUser {
  tenantId: string;
  /** `sub` of the user's ScaiKey identity */
  subject: string;
  email?: string | null;
  displayName?: string | null;
  roles: string[];
  /** `local` unless told otherwise: only sign-in from a ScaiKey token and identity sync make `scaikey` users */
  source?: AssignableUserSource;
}

/** Roles are stored as a JSON array; anything else in the column counts as no roles. */
export function userRoles(user: Pick<User, 'roles'>): string[] {
  return Array.isArray(user.roles) ? user.roles.filter((r): r is string => typeof r === 'string') : [];
}

export async function createUser(db: Db, input: NewUser): Promise<User> {
  const problem = subjectProblem(input.subject);
  if (problem) throw new AppError('VALIDATION_ERROR', `subject ${problem}`);
  if (input.email && input.email.length > MAX_EMAIL_CHARS) {
    throw new AppError('VALIDATION_ERROR', `email must be at most ${MAX_EMAIL_CHARS} characters`);
  }
  if (input.displayName && input.displayName.length > MAX_DISPLAY_NAME_CHARS) {
    throw new AppError('VALIDATION_ERROR', `display name must be at most ${MAX_DISPLAY_NAME_CHARS} characters`);
  }
  try {
    return await db.user.create({
      data: {
        id: newId(),
        tenantId: input.tenantId,
        scaikeySubject: input.subject,
        email: input.email || null,
        displayName: input.displayName || null,
        roles: [...new Set(input.roles)],
        source: input.source ?? 'local',
      },
    });
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError) {
      if (err.code === 'P2002') throw new AppError('CONFLICT', 'a user with this subject already exists in the tenant');
      if (err.code === 'P2003') throw new AppError('NOT_FOUND', 'tenant not found');
    }
    throw err;
  }
}

/**
 * Marks who manages an existing user. Turning a user `local` takes it out of
 * identity sync's hands at once; turning it `scaikey` hands it to the next sync,
 * which deactivates it if ScaiKey does not list it. Returns null for an unknown user.
 */
export async function setUserSource(
  db: Db,
  where: { tenantId: string; subject: string },
  source: AssignableUserSource,
): Promise<{ user: User; previous: UserSource } | null> {
  const key = { tenantId_scaikeySubject: { tenantId: where.tenantId, scaikeySubject: where.subject } };
  const existing = await db.user.findUnique({ where: key });
  if (!existing) return null;
  const previous = userSource(existing);
  const user = previous === source ? existing : await db.user.update({ where: key, data: { source } });
  return { user, previous };
}
