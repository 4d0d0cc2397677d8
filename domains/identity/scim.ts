import { NamedFailure } from '../../lib/temporal/failures.js';

// Reads one tenant's directory from ScaiKey over SCIM 2.0 (RFC 7644): /Users and
// /Groups, paged with startIndex/count, authorised by a client-credentials token.
// A listing that does not add up (fewer resources than totalResults, a count
// that changes between pages, a resource seen twice) is reported as incomplete
// rather than thrown: the sync must then change nothing it could regret.

export interface ScimUser {
  id: string;
  userName?: string;
  displayName?: string;
  name?: { formatted?: string };
  emails?: { value?: string; primary?: boolean }[];
  active?: boolean;
}

interface ScimGroup {
  id: string;
  displayName?: string;
  members?: { value?: string }[];
}

export interface Directory {
  users: ScimUser[];
  groups: ScimGroup[];
}

type DirectoryRead = { complete: true; directory: Directory } | { complete: false; problem: string };

/** The IdP could not be read. `permanent` when asking again will not help (bad credentials, unknown endpoint). */
export class IdpError extends NamedFailure {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(permanent ? 'IDP_REJECTED' : 'IDP_UNAVAILABLE', message);
    this.name = 'IdpError';
  }
}

export interface ScimClientOptions {
  /** ScaiKey issuer URL (SCAIWAVE_SCAIKEY_URL) */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  pageSize: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** after each page, e.g. to heartbeat or report progress; awaited before the next page is asked for */
  onPage?: (what: 'Users' | 'Groups', received: number, total: number) => void | Promise<void>;
}

const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const MAX_PAGES = 100_000;

/** The SCIM base of one tenant on ScaiKey. */
const scimBase = (baseUrl: string, tenantSlug: string): string =>
  `${baseUrl.replace(/\/$/, '')}/tenants/${encodeURIComponent(tenantSlug)}/scim/v2`;

async function request(url: string, init: RequestInit, opts: ScimClientOptions): Promise<unknown> {
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 15_000);
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout });
  } catch (err) {
    throw new IdpError(`ScaiKey did not answer ${new URL(url).pathname}: ${(err as Error).message}`, false);
  }
  const body = await res.text();
  if (!res.ok) {
    // 401/403/404 will not change on a retry; 5xx and 429 may.
    const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
    throw new IdpError(`ScaiKey answered ${res.status} to ${new URL(url).pathname}: ${body.slice(0, 200)}`, permanent);
  }
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new IdpError(`ScaiKey sent something that is not JSON from ${new URL(url).pathname}`, false);
  }
}

async function accessToken(opts: ScimClientOptions): Promise<string> {
  const body = await request(
    `${opts.baseUrl.replace(/\/$/, '')}/token`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: opts.clientId,
        client_secret: opts.clientSecret,
        scope: 'scim',
      }),
    },
    opts,
  );
  const token = (body as { access_token?: unknown }).access_token;
  if (typeof token !== 'string' || token === '') throw new IdpError('ScaiKey issued no access token', false);
  return token;
}

interface ListPage {
  totalResults: number;
  Resources: { id: string }[];
}

function asListPage(body: unknown, what: string): ListPage {
  const b = body as { schemas?: unknown; totalResults?: unknown; Resources?: unknown };
  const resources = b.Resources ?? [];
  if (
    !Array.isArray(b.schemas) ||
    !b.schemas.includes(LIST_RESPONSE) ||
    !Number.isSafeInteger(b.totalResults) ||
    (b.totalResults as number) < 0 ||
    !Array.isArray(resources) ||
    !resources.every((r) => typeof (r as { id?: unknown })?.id === 'string' && (r as { id: string }).id !== '')
  ) {
    throw new IdpError(`ScaiKey's ${what} listing is not a SCIM ListResponse`, false);
  }
  return { totalResults: b.totalResults as number, Resources: resources as { id: string }[] };
}

async function listAll<T extends { id: string }>(
  what: 'Users' | 'Groups',
  base: string,
  token: string,
  opts: ScimClientOptions,
): Promise<{ items: T[] } | { problem: string }> {
  const items: T[] = [];
  const seen = new Set<string>();
  let total: number | undefined;
  let startIndex = 1;
  for (let page = 0; page < MAX_PAGES; page++) {
    const url = `${base}/${what}?startIndex=${startIndex}&count=${opts.pageSize}`;
    const p = asListPage(await request(url, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/scim+json' } }, opts), what);
    if (total === undefined) total = p.totalResults;
    else if (p.totalResults !== total) {
      return { problem: `the ${what} listing changed while it was read (totalResults ${total} → ${p.totalResults})` };
    }
    for (const r of p.Resources) {
      if (seen.has(r.id)) return { problem: `the ${what} listing repeated resource ${r.id} across pages` };
      seen.add(r.id);
      items.push(r as T);
    }
    await opts.onPage?.(what, items.length, total);
    if (items.length > total) return { problem: `the ${what} listing sent ${items.length} resources but reported ${total}` };
    if (items.length === total) return { items };
    // A server may send fewer than asked for; only an empty page before the end is a truncation.
    if (p.Resources.length === 0) {
      return { problem: `truncated ${what} listing: ScaiKey reported ${total} but sent ${items.length}` };
    }
    startIndex += p.Resources.length;
  }
  return { problem: `the ${what} listing did not end within ${MAX_PAGES} pages` };
}

export async function readDirectory(tenantSlug: string, opts: ScimClientOptions): Promise<DirectoryRead> {
  const token = await accessToken(opts);
  const base = scimBase(opts.baseUrl, tenantSlug);
  const users = await listAll<ScimUser>('Users', base, token, opts);
  if ('problem' in users) return { complete: false, problem: users.problem };
  const groups = await listAll<ScimGroup>('Groups', base, token, opts);
  if ('problem' in groups) return { complete: false, problem: groups.problem };
  return { complete: true, directory: { users: users.items, groups: groups.items } };
}
