import type Koa from 'koa';
import { Router } from '@koa/router';
import coBody from 'co-body';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { KeyStore } from './keys.js';

// SCIM 2.0 (RFC 7643/7644) of the reference ScaiKey, one directory per tenant:
// GET /tenants/{slug}/scim/v2/Users and /Groups with startIndex/count paging,
// for identity sync. Groups are derived from each user's group names. Tests
// change a directory through /admin/tenants/{slug}/users/{id} (one user) or
// POST /admin/tenants/{slug}/users (many at once, to grow a directory to
// thousands), and switch a tenant's SCIM into failing or truncated answers
// through /admin/tenants/{slug}/scim-fault.

export interface DirectoryUser {
  id: string;
  userName: string;
  displayName?: string;
  email?: string;
  active: boolean;
  groups: string[];
}

/**
 * ok; fail: SCIM answers 503; truncate: pages after the first come back empty while
 * totalResults stays; slow: every SCIM answer comes SLOW_PAGE_MS late, as from a distant or
 * loaded server (so a sync surely lasts a while, e.g. to watch its progress).
 */
type ScimFault = 'ok' | 'fail' | 'truncate' | 'slow';
const SCIM_FAULTS: readonly string[] = ['ok', 'fail', 'truncate', 'slow'] satisfies ScimFault[];
const SLOW_PAGE_MS = 300;

// Like real servers, a page is capped whatever the client asks; clients must follow totalResults.
const MAX_PAGE = 50;
const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;

interface TenantDirectory {
  users: Map<string, DirectoryUser>;
  fault: ScimFault;
  /** users by id, built on the first read after a change: a listing of n users is then read in n/50 pages, not sorted n/50 times */
  sorted: DirectoryUser[] | null;
}

class ScimError extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(detail);
  }
}

const groupId = (name: string): string => `grp-${Buffer.from(name).toString('base64url')}`;

function page<T>(ctx: Koa.Context, all: T[], truncate: boolean): { total: number; startIndex: number; items: T[] } {
  const start = Math.max(1, Number.parseInt(String(ctx.query.startIndex ?? '1'), 10) || 1);
  const asked = Number.parseInt(String(ctx.query.count ?? String(MAX_PAGE)), 10);
  const count = Math.min(MAX_PAGE, Math.max(0, Number.isNaN(asked) ? MAX_PAGE : asked));
  const items = truncate && start > 1 ? [] : all.slice(start - 1, start - 1 + count);
  return { total: all.length, startIndex: start, items };
}

function listResponse(p: { total: number; startIndex: number; items: unknown[] }) {
  return { schemas: [LIST_RESPONSE], totalResults: p.total, startIndex: p.startIndex, itemsPerPage: p.items.length, Resources: p.items };
}

function stringOf(body: Record<string, unknown>, name: string, max = 320): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || v.length > max) throw new ScimError(400, `${name} must be a string of at most ${max} characters`);
  return v;
}

export function scimRoutes(keys: KeyStore, issuer: () => string, clientIds: string[]): Router {
  const directories = new Map<string, TenantDirectory>();
  const directory = (slug: string): TenantDirectory => {
    if (!SLUG.test(slug)) throw new ScimError(404, 'no such tenant');
    let d = directories.get(slug);
    if (!d) directories.set(slug, (d = { users: new Map(), fault: 'ok', sorted: null }));
    return d;
  };

  /** Client-credentials tokens of this IdP with the scim scope, nothing else. */
  const authorised: Koa.Middleware = async (ctx, next) => {
    const token = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1];
    if (!token) throw new ScimError(401, 'a bearer token with scope scim is required');
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(keys.publicJwks()), { issuer: issuer(), audience: clientIds });
      if (!String(payload.scope ?? '').split(' ').includes('scim')) throw new Error('scope scim missing');
    } catch (err) {
      throw new ScimError(401, `token refused: ${(err as Error).message}`);
    }
    const d = directory(ctx.params.tenant!);
    if (d.fault === 'fail') throw new ScimError(503, 'fault mode "fail" is on for this tenant');
    if (d.fault === 'slow') await new Promise((resolve) => setTimeout(resolve, SLOW_PAGE_MS));
    ctx.state.directory = d;
    await next();
  };

  const router = new Router();
  router.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (!(err instanceof ScimError)) throw err;
      ctx.status = err.status;
      ctx.type = 'application/scim+json';
      ctx.body = { schemas: [ERROR], status: String(err.status), detail: err.message };
    }
  });

  const sortedUsers = (d: TenantDirectory): DirectoryUser[] =>
    (d.sorted ??= [...d.users.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));

  router.get('/tenants/:tenant/scim/v2/Users', authorised, (ctx) => {
    const d = ctx.state.directory as TenantDirectory;
    const p = page(ctx, sortedUsers(d), d.fault === 'truncate');
    ctx.type = 'application/scim+json';
    ctx.body = listResponse({
      ...p,
      items: p.items.map((u) => ({
        schemas: [USER_SCHEMA],
        id: u.id,
        userName: u.userName,
        ...(u.displayName ? { displayName: u.displayName, name: { formatted: u.displayName } } : {}),
        ...(u.email ? { emails: [{ value: u.email, primary: true, type: 'work' }] } : {}),
        active: u.active,
        groups: u.groups.map((g) => ({ value: groupId(g), display: g })),
        meta: { resourceType: 'User' },
      })),
    });
  });

  router.get('/tenants/:tenant/scim/v2/Groups', authorised, (ctx) => {
    const d = ctx.state.directory as TenantDirectory;
    const members = new Map<string, string[]>();
    for (const u of sortedUsers(d)) {
      for (const g of u.groups) {
        const list = members.get(g);
        if (list) list.push(u.id);
        else members.set(g, [u.id]);
      }
    }
    const groups = [...members.keys()].sort().map((name) => ({
      schemas: [GROUP_SCHEMA],
      id: groupId(name),
      displayName: name,
      members: members.get(name)!.map((value) => ({ value, type: 'User' })),
      meta: { resourceType: 'Group' },
    }));
    ctx.type = 'application/scim+json';
    ctx.body = listResponse(page(ctx, groups, d.fault === 'truncate'));
  });

  // ---- test switches: change a tenant's directory, make its SCIM misbehave ----

  const jsonBody = async (ctx: Koa.Context, limit = '64kb'): Promise<Record<string, unknown>> => {
    const parsed: unknown = await coBody.json(ctx, { limit }).catch(() => {
      throw new ScimError(400, 'body must be a JSON object');
    });
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ScimError(400, 'body must be a JSON object');
    return parsed as Record<string, unknown>;
  };

  const userOf = (id: string, body: Record<string, unknown>): DirectoryUser => {
    const groups = body.groups ?? [];
    if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string' && g !== '')) {
      throw new ScimError(400, 'groups must be a list of group names');
    }
    if (body.active !== undefined && typeof body.active !== 'boolean') throw new ScimError(400, 'active must be true or false');
    return {
      id,
      userName: stringOf(body, 'userName') ?? id,
      displayName: stringOf(body, 'displayName', 255),
      email: stringOf(body, 'email'),
      active: body.active !== false,
      groups: [...new Set(groups as string[])],
    };
  };

  router.put('/admin/tenants/:tenant/users/:id', async (ctx) => {
    const d = directory(ctx.params.tenant!);
    const user = userOf(ctx.params.id!, await jsonBody(ctx));
    const existed = d.users.has(user.id);
    d.users.set(user.id, user);
    d.sorted = null;
    ctx.status = existed ? 200 : 201;
    ctx.body = user;
  });

  /** Many users at once: `{"users": [{"id": …, "displayName": …, "groups": […]}, …]}`, each as the PUT above takes it. */
  router.post('/admin/tenants/:tenant/users', async (ctx) => {
    const d = directory(ctx.params.tenant!);
    const list = (await jsonBody(ctx, '64mb')).users;
    if (!Array.isArray(list)) throw new ScimError(400, 'users must be a list');
    const users = list.map((u: unknown) => {
      const body = u && typeof u === 'object' && !Array.isArray(u) ? (u as Record<string, unknown>) : {};
      const id = stringOf(body, 'id', 255);
      if (id === undefined) throw new ScimError(400, 'every user needs an id');
      return userOf(id, body);
    });
    let created = 0;
    for (const u of users) {
      if (!d.users.has(u.id)) created++;
      d.users.set(u.id, u);
    }
    d.sorted = null;
    ctx.body = { created, replaced: users.length - created };
  });

  router.delete('/admin/tenants/:tenant/users/:id', (ctx) => {
    const d = directory(ctx.params.tenant!);
    const removed = d.users.delete(ctx.params.id!);
    d.sorted = null;
    ctx.status = removed ? 204 : 404;
  });

  router.post('/admin/tenants/:tenant/scim-fault', async (ctx) => {
    const mode = (await jsonBody(ctx)).mode;
    if (typeof mode !== 'string' || !SCIM_FAULTS.includes(mode)) throw new ScimError(400, `mode must be one of ${SCIM_FAULTS.join(', ')}`);
    directory(ctx.params.tenant!).fault = mode as ScimFault;
    ctx.body = { mode };
  });

  return router;
}
