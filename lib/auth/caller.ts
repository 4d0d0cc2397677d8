import { AppError } from '../errors.js';
import type { Db } from '../db.js';
import { findTenantBySlug } from '../tenants.js';
import {
  createUser,
  MAX_DISPLAY_NAME_CHARS,
  MAX_EMAIL_CHARS,
  subjectProblem,
  userRoles,
  userSource,
  type User,
  type UserSource,
} from '../users.js';
import { looksLikeApiKey, resolveApiKey } from './api-keys.js';
import type { JwtVerifier, VerifiedClaims } from './jwt-verifier.js';
import { permissionsFor, type Permission } from './permissions.js';

export interface Caller {
  tenantId: string;
  tenantSlug: string;
  userId: string;
  subject: string;
  /** who manages the user: the ScaiKey directory, or this deployment (lib/users.ts) */
  source: UserSource;
  apiKeyId: string | null;
  via: 'jwt' | 'api_key';
  roles: string[];
  permissions: Set<Permission>;
}

export interface CallerResolver {
  /** `queryToken` is for WebSocket upgrades only, where browsers cannot set headers. */
  resolve(authorizationHeader: string | undefined, queryToken?: string): Promise<Caller>;
}

export interface CallerResolverOptions {
  db: Db;
  verifier: JwtVerifier;
  authMode: 'scaikey' | 'api_key';
  /** SCAIWAVE_PLATFORM_TENANT: the only tenant whose roles may grant platform permissions. */
  platformTenant?: string;
}

const unauthorized = (reason: string) => new AppError('UNAUTHORIZED', reason);
const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

const sameRoles = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

// Profile values that do not fit their column are left out rather than failing the login.
const fits = (v: string | null, max: number) => (v !== null && v.length <= max ? v : null);

export function createCallerResolver(opts: CallerResolverOptions): CallerResolver {
  const { db } = opts;
  const expected =
    opts.authMode === 'api_key'
      ? "'Authorization: Bearer <sgk_ API key>'"
      : "'Authorization: Bearer <ScaiKey access token or sgk_ API key>'";

  function tokenFrom(header: string | undefined, queryToken: string | undefined): string {
    if (header === undefined || header.trim() === '') {
      if (queryToken) return queryToken;
      throw unauthorized(`authentication required: send ${expected}`);
    }
    const match = BEARER.exec(header);
    if (!match) throw unauthorized(`malformed Authorization header: expected ${expected}`);
    return match[1]!;
  }

  async function viaApiKey(key: string): Promise<Caller> {
    const resolved = await resolveApiKey(db, key);
    if (!resolved) throw unauthorized('API key is not valid (unknown, revoked or expired)');
    const roles = userRoles(resolved.user);
    return {
      tenantId: resolved.tenant.id,
      tenantSlug: resolved.tenant.slug,
      userId: resolved.user.id,
      subject: resolved.user.scaikeySubject,
      source: userSource(resolved.user),
      apiKeyId: resolved.apiKey.id,
      via: 'api_key',
      roles,
      permissions: permissionsFor(roles, resolved.tenant.slug === opts.platformTenant),
    };
  }

  /**
   * Just-in-time provisioning: ScaiKey is the source of truth for who exists and
   * their roles, for the users it manages. A local user (made here, e.g. a
   * CLI-created admin given its ScaiKey subject) signs in with its token too, but
   * keeps the roles and profile it was given here.
   */
  async function userFor(tenantId: string, claims: VerifiedClaims): Promise<User> {
    const email = fits(claims.email, MAX_EMAIL_CHARS);
    const displayName = fits(claims.name, MAX_DISPLAY_NAME_CHARS);
    const where = { tenantId_scaikeySubject: { tenantId, scaikeySubject: claims.sub } };
    const existing = await db.user.findUnique({ where });
    if (!existing) {
      try {
        return await createUser(db, { tenantId, subject: claims.sub, email, displayName, roles: claims.roles, source: 'scaikey' });
      } catch (err) {
        // Two first requests of the same user raced; the other one created the row.
        if (!(err instanceof AppError && err.code === 'CONFLICT')) throw err;
        return db.user.findUniqueOrThrow({ where });
      }
    }
    if (existing.status !== 'active' || userSource(existing) === 'local') return existing;
    const changed = {
      ...(!sameRoles(userRoles(existing), claims.roles) && { roles: [...new Set(claims.roles)] }),
      ...(email !== null && email !== existing.email && { email }),
      ...(displayName !== null && displayName !== existing.displayName && { displayName }),
    };
    return Object.keys(changed).length > 0 ? db.user.update({ where: { id: existing.id }, data: changed }) : existing;
  }

  async function viaJwt(token: string): Promise<Caller> {
    if (opts.authMode === 'api_key') {
      throw unauthorized('this deployment accepts only API keys (sgk_…); ScaiKey tokens are not enabled');
    }
    const claims = await opts.verifier.verify(token);
    if (!claims.tenant) throw unauthorized('token carries no "tenant" claim');
    // Refused before any lookup: such a subject names nobody, and must not create anybody.
    const subjectIssue = subjectProblem(claims.sub);
    if (subjectIssue) throw unauthorized(`token "sub" claim ${subjectIssue}`);
    const tenant = await findTenantBySlug(db, claims.tenant);
    if (!tenant || tenant.status !== 'active') throw unauthorized('the tenant named by the token is unknown or inactive');
    const user = await userFor(tenant.id, claims);
    if (user.status !== 'active') throw unauthorized('user is deactivated');
    const roles = userRoles(user);
    return {
      tenantId: tenant.id,
      tenantSlug: tenant.slug,
      userId: user.id,
      subject: user.scaikeySubject,
      source: userSource(user),
      apiKeyId: null,
      via: 'jwt',
      roles,
      permissions: permissionsFor(roles, tenant.slug === opts.platformTenant),
    };
  }

  return {
    async resolve(authorizationHeader, queryToken) {
      const token = tokenFrom(authorizationHeader, queryToken);
      return looksLikeApiKey(token) ? viaApiKey(token) : viaJwt(token);
    },
  };
}
