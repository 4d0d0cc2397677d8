import type { Prisma } from '../../lib/generated/prisma/client.js';
import type { Db } from '../../lib/infra/db.js';
import { newId } from '../../lib/infra/ids.js';
import type { UserSource } from '../../lib/tenancy/user-fields.js';
import type { UserRecord } from './format.js';
import { NamedFailure } from '../../lib/temporal/failures.js';

// The bundle's users are mapped to this tenant's by ScaiKey subject, whatever
// their source or status here. A subject unknown here gets a placeholder user
// (source `import`, deactivated: see lib/tenancy/user-fields.ts), so every
// imported message keeps an author and the person is adopted, with their
// messages, once ScaiKey lists them. Placeholders are inserted with INSERT
// IGNORE on the tenant+subject key and counted in the same transaction, so a
// repeat, or a user signing in meanwhile, neither duplicates nor miscounts one.

/** source user id → local user id */
export type UserMap = ReadonlyMap<string, string>;

const CHUNK = 500;

/** A bundle refers to a user room.json does not list (verification refuses such bundles). */
export class UnmappedUserError extends NamedFailure {
  override name = 'UnmappedUserError';
  constructor(detail: string) {
    super('IMPORT_USER_UNMAPPED', detail, 'the bundle names a user its room.json does not list');
  }
}

export function localUser(users: UserMap, sourceId: string): string {
  const id = users.get(sourceId);
  if (id === undefined) throw new UnmappedUserError(`user ${sourceId} is not in the bundle's room.json`);
  return id;
}

async function bySubject(db: Db, tenantId: string, subjects: string[]): Promise<Map<string, string>> {
  const rows = await db.user.findMany({ where: { tenantId, scaikeySubject: { in: subjects } }, select: { id: true, scaikeySubject: true } });
  return new Map(rows.map((r) => [r.scaikeySubject, r.id]));
}

function* mapped(users: UserRecord[], local: Map<string, string>): Generator<[string, string]> {
  for (const u of users) {
    const id = local.get(u.subject);
    if (id !== undefined) yield [u.id, id];
  }
}

/** The row a subject unknown here gets: deactivated, no roles, named as the bundle names the person. */
export function placeholderUser(tenantId: string, u: UserRecord, now: Date): Prisma.UserCreateManyInput {
  return {
    id: newId(),
    tenantId,
    scaikeySubject: u.subject,
    email: u.email,
    displayName: u.displayName,
    roles: [],
    status: 'deactivated',
    deactivatedAt: now,
    source: 'import' satisfies UserSource,
  };
}

/** Makes placeholders for the subjects not known in the tenant, then maps every bundle user. */
export async function ensureImportUsers(db: Db, tenantId: string, importId: string, users: UserRecord[]): Promise<UserMap> {
  const out = new Map<string, string>();
  for (let i = 0; i < users.length; i += CHUNK) {
    const chunk = users.slice(i, i + CHUNK);
    const subjects = [...new Set(chunk.map((u) => u.subject))];
    const known = await bySubject(db, tenantId, subjects);
    const missing = new Map(chunk.filter((u) => !known.has(u.subject)).map((u) => [u.subject, u]));
    if (missing.size > 0) {
      await db.$transaction(async (tx) => {
        const now = new Date();
        const { count } = await tx.user.createMany({ data: [...missing.values()].map((u) => placeholderUser(tenantId, u, now)), skipDuplicates: true });
        if (count > 0) await tx.waveImport.update({ where: { id: importId }, data: { placeholders: { increment: count } } });
      });
    }
    for (const [from, to] of mapped(chunk, missing.size > 0 ? await bySubject(db, tenantId, subjects) : known)) out.set(from, to);
  }
  return out;
}

/** The mapping once every subject has a user here (after ensureImportUsers): reads only. */
export async function importUserMap(db: Db, tenantId: string, users: UserRecord[]): Promise<UserMap> {
  const out = new Map<string, string>();
  for (let i = 0; i < users.length; i += CHUNK) {
    const chunk = users.slice(i, i + CHUNK);
    for (const [from, to] of mapped(chunk, await bySubject(db, tenantId, [...new Set(chunk.map((u) => u.subject))]))) out.set(from, to);
  }
  return out;
}
