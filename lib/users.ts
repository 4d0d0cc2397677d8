import { AppError } from './errors.js';
import { newId } from './ids.js';
import type { Db } from './db.js';
import { Prisma, type User } from './generated/prisma/client.js';

export type { User };

export interface NewUser {
  tenantId: string;
  /** `sub` of the user's ScaiKey identity */
  subject: string;
  email?: string | null;
  displayName?: string | null;
  roles: string[];
}

export const MAX_SUBJECT_CHARS = 255;
export const MAX_EMAIL_CHARS = 320;
export const MAX_DISPLAY_NAME_CHARS = 255;

// A subject is an opaque id compared byte for byte (the columns are NO PAD
// binary), but one that logs, terminals and the CLI print as it is: control
// characters (C0, DEL, C1: NUL, ESC, newlines) have no place in it, and a lone
// UTF-16 surrogate cannot be stored as itself, so it would turn into U+FFFD
// and two different subjects into one user.
const NOT_IN_SUBJECT = /[\p{Cc}\p{Cs}]/u;

/** Why `subject` cannot be a ScaiKey subject, or null when it can. */
export function subjectProblem(subject: string): string | null {
  if (subject === '' || subject.length > MAX_SUBJECT_CHARS) return `must be 1-${MAX_SUBJECT_CHARS} characters`;
  if (NOT_IN_SUBJECT.test(subject)) return 'must not contain control characters or unpaired surrogates';
  return null;
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
