import type { Config } from '../config.js';
import { INT_MAX } from '../infra/columns.js';
import type { Db } from '../infra/db.js';

export interface RateLimits {
  tenantPerMinute: number;
  keyPerMinute: number;
}

interface TenantLimits extends RateLimits {
  /** Longest audio ScaiEcho accepts for transcription, in ms of playing time. */
  scaiechoMaxAudioMs: number;
}

interface Cached {
  limits: TenantLimits;
  at: number;
}

const positive = (v: unknown): number | undefined => (typeof v === 'number' && v > 0 ? Math.floor(v) : undefined);

/**
 * Per-tenant limits live in tenants.features (rate_limits, scaiecho.max_audio_ms)
 * and fall back to the SCAIWAVE_* defaults. Cached briefly: this runs on every request.
 */
export function tenantLimits(db: Db, config: Config, ttlMs = 30_000) {
  const cache = new Map<string, Cached>();
  return async (tenantId: string): Promise<TenantLimits> => {
    const hit = cache.get(tenantId);
    if (hit && Date.now() - hit.at < ttlMs) return hit.limits;
    const tenant = await db.tenant.findUnique({ where: { id: tenantId }, select: { features: true } });
    const features = (tenant?.features ?? {}) as { rate_limits?: Record<string, unknown>; scaiecho?: Record<string, unknown> };
    const rl = features.rate_limits ?? {};
    const limits = {
      tenantPerMinute: positive(rl.tenant_per_minute) ?? config.env.SCAIWAVE_RATE_LIMIT_TENANT_PER_MINUTE,
      keyPerMinute: positive(rl.key_per_minute) ?? config.env.SCAIWAVE_RATE_LIMIT_KEY_PER_MINUTE,
      // Never above what audio_duration_ms can hold, whatever the tenant's features say.
      scaiechoMaxAudioMs: Math.min(positive(features.scaiecho?.max_audio_ms) ?? config.env.SCAIWAVE_SCAIECHO_MAX_AUDIO_MS, INT_MAX),
    };
    cache.set(tenantId, { limits, at: Date.now() });
    return limits;
  };
}
