import { createHash } from 'node:crypto';

// What a user's fields may hold, apart from the code that stores them: the CLI
// checks its arguments with these without loading the database client.

/**
 * Who manages a user. `scaikey`: the directory; identity sync adds, updates and
 * deactivates it, and its ScaiKey tokens carry its roles. `local`: made here (the
 * bootstrap admin, service accounts, users created by the CLI); sync never touches
 * it and its roles are managed here, though it may still sign in with a ScaiKey
 * token whose `sub` is its subject. Keycloak and Mattermost draw the same line.
 * `import`: a placeholder a room import (lib/export/) made for a subject unknown
 * here, deactivated, so the imported messages keep their author; nobody signs in
 * as it. The directory adopts it (it becomes `scaikey` and active) once ScaiKey
 * lists the subject as active, through identity sync or the person's first
 * sign-in, and until then sync leaves it as it is.
 */
export const USER_SOURCES = ['scaikey', 'local', 'import'] as const;
export type UserSource = (typeof USER_SOURCES)[number];
/** What an operator may mark a user as: placeholders are made by imports only. */
export const ASSIGNABLE_USER_SOURCES = ['scaikey', 'local'] as const satisfies readonly UserSource[];
export type AssignableUserSource = (typeof ASSIGNABLE_USER_SOURCES)[number];

const MAX_SUBJECT_CHARS = 255;
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

/**
 * The subject an erased user's row carries (domains/erasure/): a hash of the
 * tenant and subject, never the subject itself, so the row names nobody; but a
 * token or a directory entry of the same person hashes to it, and so is known
 * as erased and never made into a user again.
 */
export const erasedSubject = (tenantId: string, subject: string): string =>
  `erased:${createHash('sha256').update(`${tenantId}\n${subject}`).digest('hex')}`;
