import { AppError } from '../errors.js';
import { newId } from '../infra/ids.js';
import type { Db } from '../infra/db.js';
import { Prisma, type Tenant } from '../generated/prisma/client.js';
import { TENANT_SLUG, TENANT_TIERS, type TenantTier } from './tenant-fields.js';

export type { Tenant };


export interface TenantFeatures {
  /** absent limits fall back to the SCAIWAVE_RATE_LIMIT_* defaults */
  rate_limits: { tenant_per_minute?: number; key_per_minute?: number };
  [feature: string]: unknown;
}

export interface NewTenant {
  slug: string;
  name: string;
  tier: TenantTier;
  features?: Partial<TenantFeatures>;
}

export async function createTenant(db: Db, input: NewTenant): Promise<Tenant> {
  if (!TENANT_SLUG.test(input.slug)) {
    throw new AppError('VALIDATION_ERROR', 'tenant slug must be 2-63 lowercase letters, digits or dashes, not starting with a dash');
  }
  const name = input.name.trim();
  if (name === '' || name.length > 255) throw new AppError('VALIDATION_ERROR', 'tenant name must be 1-255 characters');
  if (!TENANT_TIERS.includes(input.tier)) {
    throw new AppError('VALIDATION_ERROR', `tenant tier must be one of ${TENANT_TIERS.join(', ')}`);
  }
  const features: TenantFeatures = { ...input.features, rate_limits: { ...input.features?.rate_limits } };
  try {
    return await db.tenant.create({
      data: { id: newId(), slug: input.slug, name, tier: input.tier, features: features as Prisma.InputJsonObject },
    });
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      throw new AppError('CONFLICT', `tenant "${input.slug}" already exists`);
    }
    throw err;
  }
}

export function findTenantBySlug(db: Db, slug: string): Promise<Tenant | null> {
  // A slug that cannot exist needs no query (and keeps junk from token claims away from the DB).
  if (!TENANT_SLUG.test(slug)) return Promise.resolve(null);
  return db.tenant.findUnique({ where: { slug } });
}
