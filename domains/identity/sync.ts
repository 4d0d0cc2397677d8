import type { CredentialChanges } from '../../lib/auth/credential-changes.js';
import type { Db } from '../../lib/infra/db.js';
import { newId } from '../../lib/infra/ids.js';
import type { UserSource } from '../../lib/tenancy/user-fields.js';
import { planSync, type PlannedUpdate, type Wanted } from './plan.js';
import { runProgress } from './runs.js';
import { readDirectory, type Directory, type ScimClientOptions } from './scim.js';

// Applies a tenant's ScaiKey directory to the users it manages (source
// `scaikey`): adds the new, updates what changed (profile, roles from group
// membership, reactivation), and deactivates those ScaiKey no longer lists as
// active, revoking their API keys. Nothing is ever deleted, and `local` users
// (the bootstrap admin, service accounts, CLI users) are never touched: a
// directory entry with a local user's subject is left alone and counted. A room
// import's placeholder for a subject the directory lists as active is adopted.
//
// Changes are written in chunks. A chunk's changes commit in one transaction
// together with the run's counter raised by the number of rows that chunk
// actually changed, and a row changes only if it still looks as it did when
// read: an insert skips a subject that exists by then (INSERT IGNORE on the
// tenant+subject key), an update needs the updatedAt it read and source
// `scaikey`, a deactivation needs the user still active and `scaikey`. So a
// retried or overlapping attempt neither repeats a change nor counts one twice,
// and the counts in identity_sync_runs are exactly the changes made.
//
// After each chunk that changed or deactivated someone, the tenant is announced
// as changed (lib/auth/credential-changes.ts): API processes drop the tenant's
// cached credentials, so a deactivated user's keys and tokens, and changed
// roles, take effect at once rather than when the cache expires.

export interface SyncResult {
  status: 'completed' | 'guarded';
  reason: string | null;
  /** users ScaiKey listed, active or not; null when the listing could not be trusted */
  idpUsers: number | null;
  /** users ScaiKey listed that could not be taken over (recomputed by every attempt, so set, not added) */
  failed: number;
  /** users ScaiKey listed whose subject is a local user's, left alone (recomputed by every attempt) */
  skippedLocal: number;
}

interface ApplyOptions {
  runId: string;
  tenantId: string;
  directory: Directory;
  /** deactivate nobody when fewer active users are listed than this share (0-100) of the scaikey users known active */
  minPresentPercent: number;
  /** after each chunk: directory users compared and applied so far (the unchanged count at once) */
  onProgress?: (applied: number) => void | Promise<void>;
  /** told which tenant's users changed, after each chunk that changed some */
  changes?: CredentialChanges;
}

// Rows per transaction: large enough that a 10,000-user directory is a few
// dozen round trips, small enough that no transaction holds many locks for long.
const ADD_CHUNK = 1000;
const UPDATE_CHUNK = 250;
const DEACTIVATE_CHUNK = 1000;
const TX = { timeout: 60_000, maxWait: 10_000 };
/** The sources whose rows an update may change: the directory's users, and import placeholders it adopts. */
const SYNC_MANAGED: UserSource[] = ['scaikey', 'import'];

const chunks = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

async function addNew(db: Db, runId: string, tenantId: string, users: Wanted[]): Promise<void> {
  await db.$transaction(async (tx) => {
    const { count } = await tx.user.createMany({
      data: users.map((w) => ({
        id: newId(),
        tenantId,
        scaikeySubject: w.subject,
        email: w.email,
        displayName: w.displayName,
        roles: w.roles,
        source: 'scaikey',
      })),
      // A subject that exists by now (signed in meanwhile, added by an overlapping attempt, or
      // made local by the CLI) is skipped and not counted: the next run compares it again.
      skipDuplicates: true,
    });
    if (count > 0) await tx.identitySyncRun.update({ where: { id: runId }, data: { added: { increment: count } } });
  }, TX);
}

/** Returns how many users it changed. */
async function updateChanged(db: Db, runId: string, updates: PlannedUpdate[]): Promise<number> {
  return db.$transaction(async (tx) => {
    let changed = 0;
    for (const u of updates) {
      const where = { id: u.id, updatedAt: u.seenUpdatedAt, source: { in: SYNC_MANAGED } };
      changed += (await tx.user.updateMany({ where, data: u.data })).count;
    }
    if (changed > 0) await tx.identitySyncRun.update({ where: { id: runId }, data: { updated: { increment: changed } } });
    return changed;
  }, TX);
}

/** Returns how many users it deactivated. */
async function deactivate(db: Db, runId: string, ids: string[]): Promise<number> {
  return db.$transaction(async (tx) => {
    const now = new Date();
    const { count } = await tx.user.updateMany({
      where: { id: { in: ids }, status: 'active', source: 'scaikey' },
      data: { status: 'deactivated', deactivatedAt: now },
    });
    if (count === 0) return 0;
    // Of these users, only the deactivated ones lose their keys (an overlapping attempt that
    // deactivated some of them first revoked theirs in its own transaction).
    await tx.apiKey.updateMany({
      where: { userId: { in: ids }, revokedAt: null, user: { status: 'deactivated' } },
      data: { revokedAt: now },
    });
    await tx.identitySyncRun.update({ where: { id: runId }, data: { deactivated: { increment: count } } });
    return count;
  }, TX);
}

async function applyDirectory(db: Db, opts: ApplyOptions): Promise<SyncResult> {
  const { runId, tenantId } = opts;
  const announce = async (changed: number) => {
    if (changed > 0) await opts.changes?.announce({ kind: 'tenant', tenantId });
  };
  const plan = planSync(tenantId, opts.directory, await db.user.findMany({ where: { tenantId } }));
  const result = { idpUsers: plan.listed, failed: plan.failed, skippedLocal: plan.skippedLocal };

  let applied = plan.listed - plan.add.length - plan.update.length;
  await opts.onProgress?.(applied);
  for (const chunk of chunks(plan.add, ADD_CHUNK)) {
    await addNew(db, runId, tenantId, chunk);
    await opts.onProgress?.((applied += chunk.length));
  }
  for (const chunk of chunks(plan.update, UPDATE_CHUNK)) {
    await announce(await updateChanged(db, runId, chunk));
    await opts.onProgress?.((applied += chunk.length));
  }

  // The guard compares only what sync manages: active directory users (local collisions left
  // out) against active scaikey users known here.
  if (plan.gone.length > 0 && plan.listedActive * 100 < plan.knownActive * opts.minPresentPercent) {
    return {
      ...result,
      status: 'guarded',
      reason:
        `ScaiKey lists ${plan.listedActive} active users, fewer than ${opts.minPresentPercent}% of the ` +
        `${plan.knownActive} known active here: nobody was deactivated (${plan.gone.length} would have been)`,
    };
  }
  for (const chunk of chunks(plan.gone, DEACTIVATE_CHUNK)) await announce(await deactivate(db, runId, chunk));
  return { ...result, status: 'completed', reason: null };
}

interface SyncTenantOptions {
  runId: string;
  tenantId: string;
  tenantSlug: string;
  scim: Omit<ScimClientOptions, 'onPage'>;
  minPresentPercent: number;
  /** called often (every page, every chunk): the activity heartbeats with it */
  heartbeat?: (details: Record<string, unknown>) => void;
  changes?: CredentialChanges;
}

/**
 * One tenant's sync: read its directory from ScaiKey, apply it, and keep the
 * run's progress columns current (at most once a second). Throws IdpError when
 * ScaiKey cannot be read; a listing that does not add up changes nothing.
 */
export async function syncTenant(db: Db, opts: SyncTenantOptions): Promise<SyncResult> {
  const report = runProgress(db, opts.runId);
  const read = await readDirectory(opts.tenantSlug, {
    ...opts.scim,
    onPage: async (what, received, total) => {
      opts.heartbeat?.({ what, received, total });
      if (what === 'Users') await report({ usersRead: received, idpUsers: total }, received === total);
    },
  });
  if (!read.complete) {
    return { status: 'guarded', reason: `${read.problem}: nothing was changed`, idpUsers: null, failed: 0, skippedLocal: 0 };
  }
  const result = await applyDirectory(db, {
    runId: opts.runId,
    tenantId: opts.tenantId,
    directory: read.directory,
    minPresentPercent: opts.minPresentPercent,
    changes: opts.changes,
    onProgress: async (applied) => {
      opts.heartbeat?.({ applied });
      await report({ usersApplied: applied });
    },
  });
  await report({}, true);
  return result;
}
