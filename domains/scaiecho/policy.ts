import type { Db } from '../../lib/infra/db.js';
import { AppError } from '../../lib/errors.js';

export type Backend = 'A' | 'B';
export type AllowedBackends = 'A' | 'B' | 'AB' | 'BA';
export type BackendPreference = 'prefer_self_hosted' | 'prefer_relay' | 'any';

export const BACKENDS: readonly Backend[] = ['A', 'B'];
export const ALLOWED_BACKENDS: readonly AllowedBackends[] = ['A', 'B', 'AB', 'BA'];
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['prefer_self_hosted', 'prefer_relay', 'any'];

export interface TenantPolicy {
  allowedBackends: AllowedBackends;
  defaultBackend: Backend;
}

/** Tier defaults a tenant gets the first time it transcribes anything. */
const tierDefaults: Record<string, TenantPolicy> = {
  free: { allowedBackends: 'B', defaultBackend: 'B' },
  pro: { allowedBackends: 'AB', defaultBackend: 'A' },
  enterprise: { allowedBackends: 'AB', defaultBackend: 'A' },
};

function validatePolicy(p: TenantPolicy): void {
  if (!p.allowedBackends.includes(p.defaultBackend)) {
    throw new AppError('VALIDATION_ERROR', `default_backend ${p.defaultBackend} is not in allowed_backends ${p.allowedBackends}`);
  }
}

/** Lazily provisions the tenant's row from its tier defaults; concurrent first calls end with one row. */
export async function getOrProvisionPolicy(db: Db, tenantId: string): Promise<TenantPolicy> {
  const existing = await db.scaiEchoTenantPolicy.findUnique({ where: { tenantId } });
  if (existing) return { allowedBackends: existing.allowedBackends as AllowedBackends, defaultBackend: existing.defaultBackend as Backend };
  const tenant = await db.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { tier: true } });
  const defaults = tierDefaults[tenant.tier] ?? tierDefaults.free!;
  // INSERT IGNORE: whichever concurrent first call inserts, all read the same row.
  await db.scaiEchoTenantPolicy.createMany({ data: [{ tenantId, ...defaults }], skipDuplicates: true });
  const row = await db.scaiEchoTenantPolicy.findUniqueOrThrow({ where: { tenantId } });
  return { allowedBackends: row.allowedBackends as AllowedBackends, defaultBackend: row.defaultBackend as Backend };
}

export async function setPolicy(db: Db, tenantId: string, policy: TenantPolicy): Promise<TenantPolicy> {
  validatePolicy(policy);
  await db.scaiEchoTenantPolicy.upsert({ where: { tenantId }, create: { tenantId, ...policy }, update: policy });
  return policy;
}

/**
 * The order in which backends are tried: the caller's hint first when the
 * tenant allows it, else the tenant's default, then the rest of the allowed set
 * in its listed (fall-through) order. Never a backend the tenant does not allow.
 */
function candidateOrder(policy: TenantPolicy, preference: BackendPreference): Backend[] {
  const allowed = [...policy.allowedBackends] as Backend[];
  const hinted: Backend | undefined =
    preference === 'prefer_self_hosted' ? 'A' : preference === 'prefer_relay' ? 'B' : policy.defaultBackend;
  const first = hinted && allowed.includes(hinted) ? hinted : policy.defaultBackend;
  return [first, ...allowed.filter((b) => b !== first)];
}

/**
 * The backends a job tries, in order: the allowed candidates that are
 * available right now. The sync route and the async job both walk this list
 * (domains/scaiecho/failover.ts says when to move on). Never empty.
 */
export function backendsToTry(
  policy: TenantPolicy,
  preference: BackendPreference,
  available: Record<Backend, boolean>,
): [Backend, ...Backend[]] {
  const candidates = candidateOrder(policy, preference);
  const [first, ...rest] = candidates.filter((b) => available[b]);
  if (!first) {
    const why = candidates.map((b) => (b === 'A' ? 'A: no self-hosted STT node is online' : 'B: the relay is not configured')).join('; ');
    throw new AppError('BACKEND_UNAVAILABLE', `no allowed transcription backend is available (${why})`);
  }
  return [first, ...rest];
}
