import type { Prisma } from '../../lib/generated/prisma/client.js';
import { erasedSubject, MAX_DISPLAY_NAME_CHARS, MAX_EMAIL_CHARS, subjectProblem } from '../../lib/tenancy/user-fields.js';
import { userRoles, userSource, type User } from '../../lib/tenancy/users.js';
import type { Directory, ScimUser } from './scim.js';

// What a sync would change, worked out from the directory and the users known
// here, before anything is written (no I/O). Only `scaikey` users are the
// directory's to change: a directory entry whose subject is a `local` user's is
// left alone and counted, and local users never count towards the guard. An
// `import` placeholder (lib/tenancy/user-fields.ts) is the directory's to adopt:
// listed active, it becomes an active `scaikey` user (an update, counted as one);
// not listed, or listed inactive, it stays as it is, and it never counts towards
// the guard.

export interface Wanted {
  subject: string;
  email: string | null;
  displayName: string | null;
  roles: string[];
  active: boolean;
}

export interface PlannedUpdate {
  id: string;
  /** the row changes only if it still carries this updatedAt */
  seenUpdatedAt: Date;
  data: Prisma.UserUpdateManyMutationInput;
}

interface SyncPlan {
  /** active directory users not known here */
  add: Wanted[];
  /** known scaikey users whose profile, roles or status differ from the directory's, and import placeholders it adopts */
  update: PlannedUpdate[];
  /** ids of active scaikey users the directory no longer lists as active */
  gone: string[];
  /** users the directory listed, active or not */
  listed: number;
  /** active directory users that sync manages (entries colliding with a local user left out) */
  listedActive: number;
  /** active scaikey users known here: what the guard compares listedActive with */
  knownActive: number;
  /** directory entries whose subject is a local user's */
  skippedLocal: number;
  /** directory entries that could not be taken over (subject too long, or holding control characters) */
  failed: number;
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
    ...(userSource(user) === 'import' && { source: 'scaikey' }),
  };
}

export function planSync(tenantId: string, directory: Directory, knownUsers: User[]): SyncPlan {
  const roles = rolesBySubject(directory);
  const known = new Map(knownUsers.map((u) => [u.scaikeySubject, u]));
  const plan: SyncPlan = { add: [], update: [], gone: [], listed: directory.users.length, listedActive: 0, knownActive: 0, skippedLocal: 0, failed: 0 };
  const listedActive = new Set<string>();

  for (const u of directory.users) {
    const w = wantedOf(u, roles);
    if (!w) {
      plan.failed++;
      continue;
    }
    // An erased person stays erased (their row is the pseudonym, under a hash of the subject): never added back.
    if (known.has(erasedSubject(tenantId, w.subject))) continue;
    const user = known.get(w.subject);
    if (user && userSource(user) === 'local') {
      plan.skippedLocal++;
      continue;
    }
    if (!w.active) continue;
    listedActive.add(w.subject);
    if (!user) {
      plan.add.push(w);
      continue;
    }
    const data = changesOf(user, w);
    if (Object.keys(data).length > 0) plan.update.push({ id: user.id, seenUpdatedAt: user.updatedAt, data });
  }

  for (const user of knownUsers) {
    if (userSource(user) !== 'scaikey' || user.status !== 'active') continue;
    plan.knownActive++;
    if (!listedActive.has(user.scaikeySubject)) plan.gone.push(user.id);
  }
  plan.listedActive = listedActive.size;
  return plan;
}
