import type { Db } from '../db.js';
import { Prisma } from '../generated/prisma/client.js';
import { newId } from '../ids.js';
import { MAX_DISPLAY_NAME_CHARS, MAX_EMAIL_CHARS, subjectProblem, userRoles, type User } from '../users.js';
import type { Directory, ScimUser } from './scim.js';

// Applies a tenant's ScaiKey directory to its users: adds the new, updates
// what changed (profile, roles from group membership, reactivation), and
// deactivates those ScaiKey no longer lists as active, revoking their API keys.
// Nothing is ever deleted.
//
// Each change commits together with its +1 on the run's counter, and only if
// the row still looks as it did when read: so a retried or overlapping attempt
// neither repeats a change nor counts one twice, and the counts in
// identity_sync_runs are exactly the changes made.

export type SyncTrigger = 'schedule' | 'cli';

export interface SyncResult {
  status: 'completed' | 'guarded';
  reason: string | null;
  /** users ScaiKey listed, active or not; null when the listing could not be trusted */
  idpUsers: number | null;
  /** users ScaiKey listed that could not be taken over (recomputed by every attempt, so set, not added) */
  failed: number;
}

export interface RunCounts {
  status: string;
  reason: string | null;
  added: number;
  updated: number;
  deactivated: number;
  failed: number;
  idpUsers: number | null;
}

interface Wanted {
  subject: string;
  email: string | null;
  displayName: string | null;
  roles: string[];
  active: boolean;
}

const fits = (v: string | undefined | null, max: number): string | null => (v && v.length <= max ? v : null);

function wantedOf(u: ScimUser, roles: Map<string, Set<string>>): Wanted | null {
  if (subjectProblem(u.id)) return null;
  const email = u.emails?.find((e) => e.primary)?.value ?? u.emails?.[0]?.value;
  return {
    subject: u.id,
    email: fits(email, MAX_EMAIL_CHARS),
    displayName: fits(u.displayName ?? u.name?.formatted, MAX_DISPLAY_NAME_CHARS),
    roles: [...(roles.get(u.id) ?? [])].sort(),
    // SCIM's `active` defaults to true when a server leaves it out.
    active: u.active !== false,
  };
}

/** Role names per user subject, from the groups they are members of. */
function rolesBySubject(directory: Directory): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const g of directory.groups) {
    if (!g.displayName) continue;
    for (const m of g.members ?? []) {
      if (!m.value) continue;
      let set = out.get(m.value);
      if (!set) out.set(m.value, (set = new Set()));
      set.add(g.displayName);
    }
  }
  return out;
}

const sameRoles = (a: string[], b: string[]) => [...a].sort().join('\n') === [...b].sort().join('\n');

function changesOf(user: User, w: Wanted): Prisma.UserUpdateManyMutationInput {
  return {
    ...(user.email !== w.email && { email: w.email }),
    ...(user.displayName !== w.displayName && { displayName: w.displayName }),
    ...(!sameRoles(userRoles(user), w.roles) && { roles: w.roles }),
    ...(user.status !== 'active' && { status: 'active', deactivatedAt: null }),
  };
}

export interface ApplyOptions {
  runId: string;
  tenantId: string;
  directory: Directory;
  /** deactivate nobody when fewer active users are listed than this share (0-100) of those known active */
  minPresentPercent: number;
  onProgress?: (done: number) => void;
}

export async function applyDirectory(db: Db, opts: ApplyOptions): Promise<SyncResult> {
  const { runId, tenantId, directory } = opts;
  const count = (field: 'added' | 'updated' | 'deactivated') =>
    db.identitySyncRun.update({ where: { id: runId }, data: { [field]: { increment: 1 } } });
  const roles = rolesBySubject(directory);
  const known = new Map((await db.user.findMany({ where: { tenantId } })).map((u) => [u.scaikeySubject, u]));
  const listedActive = new Set<string>();
  let failed = 0;
  let done = 0;

  for (const u of directory.users) {
    const w = wantedOf(u, roles);
    if (!w) {
      failed++;
      continue;
    }
    if (!w.active) continue;
    listedActive.add(w.subject);
    const user = known.get(w.subject);
    if (!user) {
      try {
        await db.$transaction([
          db.user.create({
            data: { id: newId(), tenantId, scaikeySubject: w.subject, email: w.email, displayName: w.displayName, roles: w.roles },
          }),
          count('added'),
        ]);
      } catch (err) {
        // The user signed in (or an overlapping attempt added them) since we read: next run compares again.
        if (!(err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002')) throw err;
      }
    } else {
      const data = changesOf(user, w);
      if (Object.keys(data).length > 0) {
        await db.$transaction(async (tx) => {
          const { count: changed } = await tx.user.updateMany({ where: { id: user.id, updatedAt: user.updatedAt }, data });
          if (changed === 1) await tx.identitySyncRun.update({ where: { id: runId }, data: { updated: { increment: 1 } } });
        });
      }
    }
    if (++done % 100 === 0) opts.onProgress?.(done);
  }

  const knownActive = [...known.values()].filter((u) => u.status === 'active');
  const gone = knownActive.filter((u) => !listedActive.has(u.scaikeySubject));
  const result = { idpUsers: directory.users.length, failed };
  if (gone.length > 0 && listedActive.size * 100 < knownActive.length * opts.minPresentPercent) {
    return {
      ...result,
      status: 'guarded',
      reason:
        `ScaiKey lists ${listedActive.size} active users, fewer than ${opts.minPresentPercent}% of the ` +
        `${knownActive.length} known active here: nobody was deactivated (${gone.length} would have been)`,
    };
  }
  for (const user of gone) {
    await db.$transaction(async (tx) => {
      const now = new Date();
      const { count: changed } = await tx.user.updateMany({
        where: { id: user.id, status: 'active' },
        data: { status: 'deactivated', deactivatedAt: now },
      });
      if (changed !== 1) return;
      await tx.apiKey.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: now } });
      await tx.identitySyncRun.update({ where: { id: runId }, data: { deactivated: { increment: 1 } } });
    });
    if (++done % 100 === 0) opts.onProgress?.(done);
  }
  return { ...result, status: 'completed', reason: null };
}

/** Idempotent: a retried start finds its row. */
export async function beginRun(db: Db, run: { runId: string; tenantId: string; workflowId: string; trigger: SyncTrigger }): Promise<void> {
  await db.identitySyncRun.createMany({
    data: [{ id: run.runId, tenantId: run.tenantId, workflowId: run.workflowId, triggeredBy: run.trigger, status: 'running' }],
    skipDuplicates: true,
  });
}

export async function finishRun(
  db: Db,
  runId: string,
  end: { status: 'completed' | 'guarded' | 'failed'; reason: string | null; idpUsers: number | null; failed: number },
): Promise<RunCounts> {
  const row = await db.identitySyncRun.update({
    where: { id: runId },
    data: { status: end.status, reason: end.reason?.slice(0, 1024) ?? null, idpUsers: end.idpUsers, failed: end.failed, finishedAt: new Date() },
  });
  return {
    status: row.status,
    reason: row.reason,
    added: row.added,
    updated: row.updated,
    deactivated: row.deactivated,
    failed: row.failed,
    idpUsers: row.idpUsers,
  };
}
