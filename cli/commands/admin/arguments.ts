import { InvalidArgumentError, Option } from 'commander';
import { ROLES, type Role } from '../../../lib/auth/permissions.js';
import { TENANT_SLUG } from '../../../lib/tenancy/tenant-fields.js';
import { MAX_EMAIL_CHARS, subjectProblem } from '../../../lib/tenancy/user-fields.js';

// What several `scaiwave admin` commands' definitions share: argument parsers (a
// bad value is a usage error, exit 2, before any I/O) and the --json option.

export const MAX_KEY_DAYS = 3650;

export const jsonOption = (): Option => new Option('--json', 'print one JSON document to stdout instead of text');

export function parseSlug(value: string): string {
  if (!TENANT_SLUG.test(value)) {
    throw new InvalidArgumentError('must be 2-63 lowercase letters, digits or dashes, not starting with a dash.');
  }
  return value;
}

export function parseSubject(value: string): string {
  const problem = subjectProblem(value);
  if (problem) throw new InvalidArgumentError(`${problem}.`);
  return value;
}

export function parseEmail(value: string): string {
  if (value.length > MAX_EMAIL_CHARS || !/^[^\s@]+@[^\s@]+$/.test(value)) {
    throw new InvalidArgumentError(`must be an email address of at most ${MAX_EMAIL_CHARS} characters.`);
  }
  return value;
}

export function parseName(value: string): string {
  const name = value.trim();
  if (name === '' || name.length > 255) throw new InvalidArgumentError('must be 1-255 characters.');
  return name;
}

export function parseRoles(value: string): Role[] {
  const roles = value
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (roles.length === 0) throw new InvalidArgumentError(`give at least one of ${ROLES.join(', ')}.`);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`unknown role ${unknown.join(', ')}; roles are ${ROLES.join(', ')}.`);
  }
  return [...new Set(roles as Role[])];
}

export function parseDays(value: string): number {
  const days = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(days) || days < 1 || days > MAX_KEY_DAYS) {
    throw new InvalidArgumentError(`must be a whole number of days from 1 to ${MAX_KEY_DAYS}.`);
  }
  return days;
}

export function parseWhole(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number (0 or more).');
  return n;
}
