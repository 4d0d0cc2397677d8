import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { Router } from '@koa/router';
import coBody from 'co-body';
import { SignJWT } from 'jose';
import { openKeyStore, SIGNING_ALG } from './keys.js';
import { scimRoutes } from './scim.js';

// Reference ScaiKey: just enough OIDC (discovery, JWKS, client-credentials tokens)
// and SCIM (scim.ts, for identity sync) for the dev stack and the tests, plus
// switches real ScaiKey does not have:
// key rotation on demand, fault modes, and claims chosen by the caller.

export interface IdpOptions {
  port: number;
  host?: string;
  issuer?: string;
  dataDir?: string;
  /** client_id → client_secret */
  clients?: Record<string, string>;
}

export interface IdpServer {
  url: string;
  issuer: string;
  close(): Promise<void>;
}

type FaultMode = 'ok' | 'fail' | 'stall';
const FAULT_MODES: readonly string[] = ['ok', 'fail', 'stall'] satisfies FaultMode[];

const DEFAULT_TTL_SECONDS = 3600;
const MAX_TTL_SECONDS = 366 * 24 * 3600;

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

type Params = Record<string, unknown>;

function text(params: Params, name: string, max = 320): string | undefined {
  const v = params[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || v.length > max) {
    throw new OAuthError(400, 'invalid_request', `${name} must be a string of at most ${max} characters`);
  }
  return v;
}

function rolesOf(params: Params): string[] {
  const v = params.roles;
  const list = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : v === undefined ? [] : null;
  if (!list || !list.every((r) => typeof r === 'string')) {
    throw new OAuthError(400, 'invalid_request', 'roles must be a comma-separated list');
  }
  return list.map((r) => r.trim()).filter(Boolean);
}

function ttlOf(params: Params): number {
  const v = params.expires_in;
  if (v === undefined || v === '') return DEFAULT_TTL_SECONDS;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n === 0 || Math.abs(n) > MAX_TTL_SECONDS) {
    throw new OAuthError(400, 'invalid_request', `expires_in must be a non-zero whole number of seconds within ±${MAX_TTL_SECONDS}`);
  }
  return n;
}

const MAX_SKEW_SECONDS = 10 * 366 * 86_400;

function skewOf(params: Params): number {
  const v = params.clock_skew;
  if (v === undefined || v === '') return 0;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || Math.abs(n) > MAX_SKEW_SECONDS) {
    throw new OAuthError(400, 'invalid_request', `clock_skew must be a whole number of seconds within ±${MAX_SKEW_SECONDS}`);
  }
  return n;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function clientFrom(ctx: Koa.Context, params: Params, clients: Record<string, string>): string {
  let id = text(params, 'client_id', 255);
  let secret = text(params, 'client_secret', 1024);
  const basic = /^Basic\s+(.+)$/i.exec(ctx.get('authorization'));
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      id = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    }
  }
  const expected = id === undefined ? undefined : clients[id];
  // Hashing first gives equal lengths, so the comparison time says nothing about the secret.
  if (id === undefined || expected === undefined || secret === undefined || !timingSafeEqual(digest(secret), digest(expected))) {
    throw new OAuthError(401, 'invalid_client', 'unknown client or wrong client secret');
  }
  return id;
}

async function bodyOf(ctx: Koa.Context): Promise<Params> {
  try {
    const parsed: unknown = await coBody(ctx, { limit: '64kb' });
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Params) : {};
  } catch (err) {
    throw new OAuthError(400, 'invalid_request', `request body must be a form or a JSON object: ${(err as Error).message}`);
  }
}

export async function createIdpServer(opts: IdpOptions): Promise<IdpServer> {
  const host = opts.host ?? '127.0.0.1';
  const clients = opts.clients ?? { scaiwave: 'scaiwave-dev-secret' };
  const keys = await openKeyStore(opts.dataDir);
  let mode: FaultMode = 'ok';
  let release!: () => void;
  const closing = new Promise<void>((resolve) => (release = resolve));
  // Both are known only once the port is bound (the caller may ask for port 0).
  let url = '';
  let issuer = opts.issuer ?? '';

  const faultable: Koa.Middleware = async (ctx, next) => {
    if (mode === 'fail') {
      ctx.status = 503;
      ctx.body = { error: 'temporarily_unavailable', error_description: 'fault mode "fail" is on' };
      return;
    }
    if (mode === 'stall') {
      // Never answer: the client must give up by its own timeout.
      await closing;
      return;
    }
    await next();
  };

  const router = new Router();
  router.get('/.well-known/openid-configuration', faultable, (ctx) => {
    // Endpoints use the address the caller reached us on, so they work behind any host name.
    const base = ctx.host ? `${ctx.protocol}://${ctx.host}` : url;
    ctx.body = {
      issuer,
      jwks_uri: `${base}/jwks`,
      token_endpoint: `${base}/token`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [SIGNING_ALG],
      claims_supported: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti', 'tenant', 'roles', 'email', 'name'],
    };
  });
  router.get('/jwks', faultable, (ctx) => {
    ctx.type = 'application/jwk-set+json';
    ctx.body = keys.publicJwks();
  });
  router.post('/token', async (ctx) => {
    const params = await bodyOf(ctx);
    const clientId = clientFrom(ctx, params, clients);
    if (params.grant_type !== 'client_credentials') {
      throw new OAuthError(400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported');
    }
    const ttl = ttlOf(params);
    // Dev extension: the token as an IdP whose clock is this many seconds off would sign it.
    const now = Math.floor(Date.now() / 1000) + skewOf(params);
    const exp = now + ttl;
    // An already-expired token looks like one issued earlier, as it would in real life.
    const iat = ttl > 0 ? now : exp - DEFAULT_TTL_SECONDS;
    // Absent claims are undefined here and vanish when the payload is serialised.
    const claims = {
      tenant: text(params, 'tenant', 64),
      roles: rolesOf(params),
      email: text(params, 'email'),
      name: text(params, 'name', 255),
      scope: text(params, 'scope', 255),
    };
    const key = keys.current();
    const accessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALG, kid: key.kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(text(params, 'aud', 255) ?? clientId)
      .setSubject(text(params, 'sub', 255) ?? clientId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(key.privateKey);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { access_token: accessToken, token_type: 'Bearer', expires_in: ttl };
  });
  router.post('/admin/keys/rotate', async (ctx) => {
    ctx.body = await keys.rotate(ctx.query.retire_previous === 'true');
  });
  router.post('/admin/fault', async (ctx) => {
    const next = (await bodyOf(ctx)).mode;
    if (typeof next !== 'string' || !FAULT_MODES.includes(next)) {
      throw new OAuthError(400, 'invalid_request', `mode must be one of ${FAULT_MODES.join(', ')}`);
    }
    mode = next as FaultMode;
    ctx.body = { mode };
  });
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok', fault_mode: mode };
  });

  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      ctx.status = err.status;
      ctx.body = { error: err.error, error_description: err.message };
    }
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  const scim = scimRoutes(keys, () => issuer, Object.keys(clients));
  app.use(scim.routes());
  app.use(scim.allowedMethods());

  const server = createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  url = `http://${shownHost}:${port}`;
  issuer ||= url;

  return {
    url,
    issuer,
    close: () =>
      new Promise<void>((resolve, reject) => {
        release();
        server.close((err) => (err ? reject(err) : resolve()));
        // Stalled requests hold their sockets open; close() alone would wait for them forever.
        server.closeAllConnections();
      }),
  };
}
