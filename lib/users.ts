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

/** Roles are stored as a JSON array; anything else in the column counts as no roles. */
export function userRoles(user: Pick<User, 'roles'>): string[] {
  return Array.isArray(user.roles) ? user.roles.filter((r): r is string => typeof r === 'string') : [];
}

export async function createUser(db: Db, input: NewUser): Promise<User> {
  if (input.subject === '' || input.subject.length > MAX_SUBJECT_CHARS) {
    throw new AppError('VALIDATION_ERROR', `subject must be 1-${MAX_SUBJECT_CHARS} characters`);
  }
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
