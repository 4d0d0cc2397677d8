import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../lib/errors.js';
import {
  ALLOWED_BACKENDS,
  BACKEND_PREFERENCES,
  getOrProvisionPolicy,
  backendsToTry,
  setPolicy,
  type AllowedBackends,
  type Backend,
  type BackendPreference,
} from '../domains/scaiecho/policy.js';
import { newTenant, testDb } from './support/stack.js';

const both = { A: true, B: true };

// What a tenant gets for each allowed set × caller hint when both backends are up.
// The hint wins only inside the allowed set; 'any' takes the tenant's default.
const expected: Record<AllowedBackends, Record<BackendPreference, Backend>> = {
  A: { prefer_self_hosted: 'A', prefer_relay: 'A', any: 'A' },
  B: { prefer_self_hosted: 'B', prefer_relay: 'B', any: 'B' },
  AB: { prefer_self_hosted: 'A', prefer_relay: 'B', any: 'A' },
  BA: { prefer_self_hosted: 'A', prefer_relay: 'B', any: 'B' },
};
const defaultOf = (allowed: AllowedBackends): Backend => allowed[0] as Backend;

describe('backend policy', () => {
  const db = testDb();
  afterAll(() => db.$disconnect());

  for (const allowed of ALLOWED_BACKENDS) {
    for (const pref of BACKEND_PREFERENCES) {
      it(`allowed ${allowed}, ${pref} → ${expected[allowed][pref]}`, () => {
        expect(backendsToTry({ allowedBackends: allowed, defaultBackend: defaultOf(allowed) }, pref, both)[0]).toBe(expected[allowed][pref]);
      });
    }
  }

  it('a tenant pinned to A with no STT node online gets BACKEND_UNAVAILABLE, whatever it prefers', () => {
    for (const pref of BACKEND_PREFERENCES) {
      const attempt = () => backendsToTry({ allowedBackends: 'A', defaultBackend: 'A' }, pref, { A: false, B: true });
      expect(attempt).toThrow(AppError);
      expect(attempt).toThrow(/no self-hosted STT node is online/);
    }
  });

  it('a tenant on AB falls through to B when no node is online, and BA to A when the relay is missing', () => {
    expect(backendsToTry({ allowedBackends: 'AB', defaultBackend: 'A' }, 'prefer_self_hosted', { A: false, B: true })).toEqual(['B']);
    expect(backendsToTry({ allowedBackends: 'BA', defaultBackend: 'B' }, 'prefer_relay', { A: true, B: false })).toEqual(['A']);
  });

  it('lists every allowed, available backend after the first, so a job can move on to the next when one fails', () => {
    expect(backendsToTry({ allowedBackends: 'AB', defaultBackend: 'A' }, 'any', both)).toEqual(['A', 'B']);
    expect(backendsToTry({ allowedBackends: 'AB', defaultBackend: 'A' }, 'prefer_relay', both)).toEqual(['B', 'A']);
    expect(backendsToTry({ allowedBackends: 'A', defaultBackend: 'A' }, 'prefer_relay', both)).toEqual(['A']);
  });

  it('provisions a tenant policy lazily from its tier, once, even under concurrent first use', async () => {
    const free = await newTenant(db, { tier: 'free' });
    const pro = await newTenant(db, { tier: 'pro' });
    const results = await Promise.all(Array.from({ length: 5 }, () => getOrProvisionPolicy(db, free.tenant.id)));
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(results[0]).toEqual({ allowedBackends: 'B', defaultBackend: 'B' });
    expect(await db.scaiEchoTenantPolicy.count({ where: { tenantId: free.tenant.id } })).toBe(1);
    expect(await getOrProvisionPolicy(db, pro.tenant.id)).toEqual({ allowedBackends: 'AB', defaultBackend: 'A' });
  });

  it('refuses a default backend outside the allowed set and keeps the old policy', async () => {
    const t = await newTenant(db);
    await setPolicy(db, t.tenant.id, { allowedBackends: 'A', defaultBackend: 'A' });
    await expect(setPolicy(db, t.tenant.id, { allowedBackends: 'B', defaultBackend: 'A' })).rejects.toThrow(/not in allowed_backends/);
    expect(await getOrProvisionPolicy(db, t.tenant.id)).toEqual({ allowedBackends: 'A', defaultBackend: 'A' });
  });
});
