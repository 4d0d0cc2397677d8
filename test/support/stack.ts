import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../lib/config.js';
import { createDb, type Db } from '../../lib/db.js';
import { provisionTenant, type Provisioned } from '../../lib/provisioning.js';
import type { TenantFeatures } from '../../lib/tenants.js';

/** The run's configuration (set by the global setup), with per-test overrides. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ ...process.env, ...overrides });
}

export const uniq = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

export function testDb(): Db {
  return createDb(testConfig().db);
}

export function newTenant(
  db: Db,
  opts: { roles?: string[]; features?: Partial<TenantFeatures>; tier?: 'free' | 'pro' | 'enterprise' } = {},
): Promise<Provisioned> {
  const slug = uniq('t');
  return provisionTenant(db, {
    slug,
    name: `Tenant ${slug}`,
    tier: opts.tier ?? 'pro',
    features: opts.features,
    subject: uniq('user'),
    roles: opts.roles ?? ['member'],
  });
}

/** A token from the run's reference ScaiKey, as a real client would get one. */
export async function idpToken(claims: {
  sub: string;
  tenant: string;
  roles?: string[];
  aud?: string;
  expires_in?: number;
  email?: string;
}): Promise<string> {
  const config = testConfig();
  const res = await fetch(`${config.env.SCAIWAVE_SCAIKEY_URL}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'scaiwave',
      client_secret: 'scaiwave-dev-secret',
      sub: claims.sub,
      tenant: claims.tenant,
      roles: (claims.roles ?? ['member']).join(','),
      ...(claims.aud ? { aud: claims.aud } : {}),
      ...(claims.expires_in !== undefined ? { expires_in: String(claims.expires_in) } : {}),
      ...(claims.email ? { email: claims.email } : {}),
    }),
  });
  if (!res.ok) throw new Error(`IdP token request failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
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
