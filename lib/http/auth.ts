import { timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Caller } from '../auth/caller-identity.js';
import type { CallerResolver } from '../auth/caller.js';
import type { Permission } from '../auth/permissions.js';
import { AppError } from '../errors.js';
import type { ApiState } from './state.js';
import type { AuthFailureLimiter } from './auth-failures.js';

export interface Authentication {
  resolver: CallerResolver;
  failures: AuthFailureLimiter;
  /** SCAIWAVE_SERVICE_TOKEN; unset, nothing authenticates with it. */
  serviceToken: string | undefined;
}

/** What a request presents to authenticate: its Authorization header, or (WebSocket upgrades only) a query-string token. */
export interface Credentials {
  authorization: string | undefined;
  queryToken?: string;
}

/** The caller presenting `credentials` from `address`; a failure counts against both (auth-failures.ts). */
export function resolveCaller(auth: Authentication, address: string, { authorization, queryToken }: Credentials): Promise<Caller> {
  const credential = auth.resolver.credentialNameOf(authorization, queryToken);
  return auth.failures.attempt({ address, credential }, () => auth.resolver.resolve(authorization, queryToken));
}

export function authenticate(auth: Authentication): Middleware<ApiState> {
  return async (ctx, next) => {
    ctx.state.caller = await resolveCaller(auth, ctx.ip, { authorization: ctx.get('Authorization') || undefined });
    await next();
  };
}

export function callerOf(state: ApiState): Caller {
  if (!state.caller) throw new AppError('UNAUTHORIZED', 'authentication required');
  return state.caller;
}

/**
 * Routes declare what they need; a caller holding none of the listed
 * permissions gets 403. Declared per route, never with router.use(): a
 * prefix-wide guard would also run for sibling routers under the same prefix.
 */
export function requirePermission(...anyOf: [Permission, ...Permission[]]): Middleware<ApiState> {
  return async (ctx, next) => {
    const held = callerOf(ctx.state).permissions;
    if (!anyOf.some((p) => held.has(p))) {
      throw new AppError('FORBIDDEN', `this needs the ${anyOf.join(' or ')} permission`);
    }
    await next();
  };
}

/** The platform's service token, compared in constant time; never matches when none is configured. */
function isServiceToken(authorizationHeader: string, expected: string | undefined): boolean {
  if (!expected) return false;
  const want = Buffer.from(`Bearer ${expected}`);
  const got = Buffer.from(authorizationHeader);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Internal components (ScaiInfer nodes) present the service token, not a user credential. */
export function requireServiceToken(auth: Authentication): Middleware<ApiState> {
  return async (ctx, next) => {
    // The one service token names no credential of its own: its failures count per address only.
    await auth.failures.attempt({ address: ctx.ip, credential: null }, async () => {
      if (!isServiceToken(ctx.get('Authorization'), auth.serviceToken)) {
        throw new AppError('UNAUTHORIZED', 'a valid service token is required');
      }
    });
    await next();
  };
}

/**
 * What acts on the whole cluster: the service token, or a caller holding
 * platform:operate (granted only inside SCAIWAVE_PLATFORM_TENANT). A tenant's
 * admin is an authenticated caller without it, so it gets 403.
 */
export function requirePlatformOperator(auth: Authentication): Middleware<ApiState> {
  const asCaller = authenticate(auth);
  const guard = requirePermission('platform:operate');
  return async (ctx, next) => {
    if (isServiceToken(ctx.get('Authorization'), auth.serviceToken)) return next();
    await asCaller(ctx, () => guard(ctx, next));
  };
}
