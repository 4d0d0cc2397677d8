import { AppError } from '../errors.js';
import type { Db } from '../infra/db.js';
import { findTenantBySlug } from '../tenancy/tenants.js';
import { erasedSubject, MAX_DISPLAY_NAME_CHARS, MAX_EMAIL_CHARS, subjectProblem } from '../tenancy/user-fields.js';
import { createUser, userRoles, userSource, type User } from '../tenancy/users.js';
import { hashApiKey, looksLikeApiKey, resolveApiKey } from './api-keys.js';
import type { Caller } from './caller-identity.js';
import type { CachedCredential, CredentialCache } from './credential-cache.js';
import { credentialName } from './credential-names.js';
import type { CredentialChanges } from './credential-changes.js';
import type { VerifiedClaims } from './verified-claims.js';
import type { JwtVerifier } from './jwt-verifier.js';
import type { LastUsedStamps } from './last-used.js';
import { permissionsFor } from './permissions.js';

export interface CallerResolver {
  /** `queryToken` is for WebSocket upgrades only, where browsers cannot set headers. */
  resolve(authorizationHeader: string | undefined, queryToken?: string): Promise<Caller>;
  /** What the presented token claims to be, unverified, for counting its failures (credential-names.ts); null when it names nothing. */
  credentialNameOf(authorizationHeader: string | undefined, queryToken?: string): string | null;
}

interface CallerResolverOptions {
  db: Db;
  verifier: JwtVerifier;
  authMode: 'scaikey' | 'api_key';
  /** SCAIWAVE_PLATFORM_TENANT: the only tenant whose roles may grant platform permissions. */
  platformTenant?: string;
  /** Resolved credentials kept in memory (the API's; absent, every request reads MariaDB). */
  cache?: CredentialCache;
  /** Where API key uses are noted for last_used_at; absent, nothing is stamped. */
  lastUsed?: LastUsedStamps;
  /** Told when a token changes a user's roles, so other processes drop that user's API keys. */
  changes?: CredentialChanges;
}

const unauthorized = (reason: string) => new AppError('UNAUTHORIZED', reason);
const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

const isBlank = (header: string | undefined): boolean => header === undefined || header.trim() === '';

/** The token a request presents: the Authorization header's, else (no header) the query string's; null when there is none. */
function presentedToken(header: string | undefined, queryToken: string | undefined): string | null {
  if (isBlank(header)) return queryToken || null;
  return BEARER.exec(header ?? '')?.[1] ?? null;
}

// As sets: roles are stored without repeats, so a token repeating one must not look like a change on every request.
const roleSet = (roles: readonly string[]) => [...new Set(roles)].sort().join('\n');
const sameRoles = (a: readonly string[], b: readonly string[]) => roleSet(a) === roleSet(b);

// Profile values that do not fit their column are left out rather than failing the login.
const fits = (v: string | null, max: number) => (v !== null && v.length <= max ? v : null);

export function createCallerResolver(opts: CallerResolverOptions): CallerResolver {
  const { db, cache } = opts;
  const expected =
    opts.authMode === 'api_key'
      ? "'Authorization: Bearer <sgk_ API key>'"
      : "'Authorization: Bearer <ScaiKey access token or sgk_ API key>'";

  function tokenFrom(header: string | undefined, queryToken: string | undefined): string {
    const token = presentedToken(header, queryToken);
    if (token !== null) return token;
    if (isBlank(header)) throw unauthorized(`authentication required: send ${expected}`);
    throw unauthorized(`malformed Authorization header: expected ${expected}`);
  }

  async function viaApiKey(key: string): Promise<Caller> {
    // Keyed by the hash, as the table is: the secret itself is never kept.
    const cacheKey = `k:${hashApiKey(key)}`;
    const hit = cache?.get(cacheKey);
    if (hit) {
      if (!hit.expiresAt || hit.expiresAt.getTime() > Date.now()) {
        opts.lastUsed?.seen(hit.caller.apiKeyId!, null);
        return hit.caller;
      }
      cache!.delete(cacheKey);
    }
    const generation = cache?.generation ?? 0;
    const resolved = await resolveApiKey(db, key);
    if (!resolved) throw unauthorized('API key is not valid (unknown, revoked or expired)');
    opts.lastUsed?.seen(resolved.apiKey.id, resolved.apiKey.lastUsedAt);
    const roles = userRoles(resolved.user);
    const caller: Caller = {
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
    cache?.set(cacheKey, { caller, expiresAt: resolved.apiKey.expiresAt }, generation);
    return caller;
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
      // A person whose data was erased is not made into a user again by a token of theirs.
      const erased = await db.user.findUnique({ where: { tenantId_scaikeySubject: { tenantId, scaikeySubject: erasedSubject(tenantId, claims.sub) } }, select: { id: true } });
      if (erased) throw unauthorized('this identity was erased from the tenant');
      try {
        return await createUser(db, { tenantId, subject: claims.sub, email, displayName, roles: claims.roles, source: 'scaikey' });
      } catch (err) {
        // Two first requests of the same user raced; the other one created the row.
        if (!(err instanceof AppError && err.code === 'CONFLICT')) throw err;
        return db.user.findUniqueOrThrow({ where });
      }
    }
    if (userSource(existing) === 'import') return adopt(existing, { email, displayName, roles: claims.roles });
    if (existing.status !== 'active' || userSource(existing) === 'local') return existing;
    const changed = {
      ...(!sameRoles(userRoles(existing), claims.roles) && { roles: [...new Set(claims.roles)] }),
      ...(email !== null && email !== existing.email && { email }),
      ...(displayName !== null && displayName !== existing.displayName && { displayName }),
    };
    if (Object.keys(changed).length === 0) return existing;
    const updated = await db.user.update({ where: { id: existing.id }, data: changed });
    // The user's API keys, cached here or elsewhere, carry the old roles.
    if (changed.roles) await opts.changes?.announce({ kind: 'user', tenantId, userId: existing.id });
    return updated;
  }

  /**
   * A room import's placeholder (lib/tenancy/user-fields.ts) for this subject:
   * ScaiKey vouches for the person now, so the row becomes theirs, active and
   * `scaikey`, keeping its id and so the imported messages. Only a row still a
   * placeholder changes; a racing first request adopts it once.
   */
  async function adopt(placeholder: User, profile: { email: string | null; displayName: string | null; roles: string[] }): Promise<User> {
    await db.user.updateMany({
      where: { id: placeholder.id, source: 'import' },
      data: {
        source: 'scaikey',
        status: 'active',
        deactivatedAt: null,
        roles: [...new Set(profile.roles)],
        ...(profile.email !== null && { email: profile.email }),
        ...(profile.displayName !== null && { displayName: profile.displayName }),
      },
    });
    return db.user.findUniqueOrThrow({ where: { id: placeholder.id } });
  }

  /**
   * A cached user serves a token only if the token would change nothing
   * userFor would write: a `scaikey` user whose roles, email or name in the
   * token differ takes the uncached path, which updates the row as before.
   */
  function servesClaims(hit: CachedCredential, claims: VerifiedClaims): boolean {
    if (hit.caller.source === 'local') return true;
    const email = fits(claims.email, MAX_EMAIL_CHARS);
    const displayName = fits(claims.name, MAX_DISPLAY_NAME_CHARS);
    return (
      sameRoles(hit.caller.roles, claims.roles) &&
      (email === null || email === hit.profile?.email) &&
      (displayName === null || displayName === hit.profile?.displayName)
    );
  }

  async function viaJwt(token: string): Promise<Caller> {
    if (opts.authMode === 'api_key') {
      throw unauthorized('this deployment accepts only API keys (sgk_…); ScaiKey tokens are not enabled');
    }
    // Signature, issuer, audience and expiry: checked on every request, cached or not.
    const claims = await opts.verifier.verify(token);
    if (!claims.tenant) throw unauthorized('token carries no "tenant" claim');
    // Refused before any lookup: such a subject names nobody, and must not create anybody.
    const subjectIssue = subjectProblem(claims.sub);
    if (subjectIssue) throw unauthorized(`token "sub" claim ${subjectIssue}`);
    const cacheKey = `j:${claims.tenant}\n${claims.sub}`;
    const hit = cache?.get(cacheKey);
    if (hit && servesClaims(hit, claims)) return hit.caller;
    const generation = cache?.generation ?? 0;
    const tenant = await findTenantBySlug(db, claims.tenant);
    if (!tenant || tenant.status !== 'active') throw unauthorized('the tenant named by the token is unknown or inactive');
    const user = await userFor(tenant.id, claims);
    if (user.status !== 'active') throw unauthorized('user is deactivated');
    const roles = userRoles(user);
    const caller: Caller = {
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
    cache?.set(cacheKey, { caller, profile: { email: user.email, displayName: user.displayName } }, generation);
    return caller;
  }

  return {
    async resolve(authorizationHeader, queryToken) {
      const token = tokenFrom(authorizationHeader, queryToken);
      return looksLikeApiKey(token) ? viaApiKey(token) : viaJwt(token);
    },
    credentialNameOf(authorizationHeader, queryToken) {
      const token = presentedToken(authorizationHeader, queryToken);
      return token === null ? null : credentialName(token);
    },
  };
}
