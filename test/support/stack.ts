import { randomBytes } from 'node:crypto';
import { requestDevToken, type DevTokenClaims } from '../../devstack/idp/client.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { createDb, type Db } from '../../lib/infra/db.js';
import { provisionTenant, type Provisioned } from '../../domains/identity/provisioning.js';
import type { TenantFeatures } from '../../lib/tenancy/tenants.js';
import type { AssignableUserSource } from '../../lib/tenancy/user-fields.js';

/** The run's configuration (set by the global setup), with per-test overrides. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ ...process.env, ...overrides });
}

export const uniq = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

export function testDb(): Db {
  return createDb(testConfig().db);
}

/**
 * A tenant with one user and an API key. The user is a ScaiKey user unless told
 * otherwise: the suites sign in as it with ScaiKey tokens whose roles it takes,
 * whereas `scaiwave admin create-tenant` makes a local admin.
 */
export function newTenant(
  db: Db,
  opts: { roles?: string[]; features?: Partial<TenantFeatures>; tier?: 'free' | 'pro' | 'enterprise'; source?: AssignableUserSource } = {},
): Promise<Provisioned> {
  const slug = uniq('t');
  return provisionTenant(db, {
    slug,
    name: `Tenant ${slug}`,
    tier: opts.tier ?? 'pro',
    features: opts.features,
    subject: uniq('user'),
    roles: opts.roles ?? ['member'],
    source: opts.source ?? 'scaikey',
  });
}

/** A token from the run's reference ScaiKey, as a real client would get one. */
export function idpToken(claims: DevTokenClaims): Promise<string> {
  return requestDevToken(testConfig().env.SCAIWAVE_SCAIKEY_URL, claims);
}

export interface ApiAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: { success: boolean; data?: T; error?: { code: string; message: string; details?: unknown }; request_id?: string };
}

export async function call<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  opts: { token?: string; json?: unknown; body?: RequestInit['body']; headers?: Record<string, string> } = {},
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    body = JSON.stringify(opts.json);
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: ApiAnswer<T>['body'];
  try {
    parsed = JSON.parse(text) as ApiAnswer<T>['body'];
  } catch {
    parsed = { success: false, error: { code: 'NOT_JSON', message: text.slice(0, 200) } };
  }
  return { status: res.status, headers: res.headers, body: parsed };
}
