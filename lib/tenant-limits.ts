import type { Config } from './config.js';
import type { Db } from './db.js';

export interface RateLimits {
  tenantPerMinute: number;
  keyPerMinute: number;
}

interface Cached {
  limits: RateLimits;
  at: number;
}

const positive = (v: unknown): number | undefined => (typeof v === 'number' && v > 0 ? Math.floor(v) : undefined);

/**
 * Per-tenant limits live in tenants.features.rate_limits and fall back to the
 * SCAIWAVE_RATE_LIMIT_* defaults. Cached briefly: this runs on every request.
 */
export function tenantLimits(db: Db, config: Config, ttlMs = 30_000) {
  const cache = new Map<string, Cached>();
  return async (tenantId: string): Promise<RateLimits> => {
    const hit = cache.get(tenantId);
    if (hit && Date.now() - hit.at < ttlMs) return hit.limits;
    const tenant = await db.tenant.findUnique({ where: { id: tenantId }, select: { features: true } });
    const rl = ((tenant?.features ?? {}) as { rate_limits?: Record<string, unknown> }).rate_limits ?? {};
    const limits = {
      tenantPerMinute: positive(rl.tenant_per_minute) ?? config.env.SCAIWAVE_RATE_LIMIT_TENANT_PER_MINUTE,
      keyPerMinute: positive(rl.key_per_minute) ?? config.env.SCAIWAVE_RATE_LIMIT_KEY_PER_MINUTE,
    };
    cache.set(tenantId, { limits, at: Date.now() });
    return limits;
  };
}
