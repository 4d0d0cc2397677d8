import { createRemoteJWKSet, customFetch, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { createLogger, type Logger } from '../infra/logger.js';
import { VerifiedTokens } from './verified-tokens.js';
import type { VerifiedClaims } from './verified-claims.js';

// Verifies ScaiKey access tokens against the keys the IdP publishes. Only
// asymmetric algorithms are accepted, so a token "signed" with the public key as
// an HMAC secret, or with alg "none", never reaches signature checking.

const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];


export interface JwtVerifier {
  verify(token: string): Promise<VerifiedClaims>;
}

export interface JwtVerifierOptions {
  issuerUrl: string;
  audience: string | string[];
  /** how long discovery metadata and the key set are trusted before refetching */
  cacheSeconds: number;
  /**
   * how long after a key-set fetch an unknown `kid` must wait before it may trigger
   * another one (default 5 s). ScaiKey signs with a new key as soon as it rotates, so
   * this is also how long fresh tokens can be refused right after a rotation; forged
   * kids cost the IdP at most one fetch per this interval per replica.
   */
  cooldownSeconds?: number;
  timeoutMs?: number;
  clockToleranceSeconds?: number;
  /** most verified tokens remembered until their expiry (lib/auth/verified-tokens.ts); 0 or absent: every call verifies */
  verifiedTokens?: number;
  logger?: Logger;
}

type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;

interface Metadata {
  issuer: string;
  jwksUri: string;
  keySet: RemoteKeySet;
  expiresAt: number;
}

const MAX_TOKEN_CHARS = 16 * 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const unauthorized = (reason: string) => new AppError('UNAUTHORIZED', reason);
const UNREACHABLE = 'the identity provider is unreachable; try again shortly';

function rejectionFor(err: unknown): AppError | null {
  if (err instanceof errors.JWTExpired) return unauthorized('token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return unauthorized(`token lacks the required "${err.claim}" claim`);
    switch (err.claim) {
      case 'iss':
        return unauthorized('token was not issued by the configured identity provider');
      case 'aud':
        return unauthorized('token is not intended for this service (audience mismatch)');
      case 'nbf':
        return unauthorized('token is not valid yet');
      default:
        return unauthorized(`token has an invalid "${err.claim}" claim`);
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return unauthorized('token signing algorithm is not accepted');
  if (err instanceof errors.JWKSNoMatchingKey) {
    return unauthorized('token was signed with a key the identity provider does not publish');
  }
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSMultipleMatchingKeys) {
    return unauthorized('token signature is invalid');
  }
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JOSENotSupported) {
    return unauthorized('token is malformed');
  }
  // Anything else (timeouts, non-200 key sets, network errors) is the IdP's fault, not the caller's.
  return null;
}

const optionalString = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function claimsOf(payload: JWTPayload): VerifiedClaims {
  const roles = payload.roles ?? [];
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
    throw unauthorized('token "roles" claim must be a list of strings');
  }
  if (payload.tenant !== undefined && typeof payload.tenant !== 'string') {
    throw unauthorized('token "tenant" claim must be a string');
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthorized('token "sub" claim must be a string');
  return {
    iss: payload.iss!,
    sub: payload.sub,
    aud: Array.isArray(payload.aud) ? payload.aud : [payload.aud!],
    exp: payload.exp!,
    iat: payload.iat ?? null,
    tenant: optionalString(payload.tenant),
    roles,
    email: optionalString(payload.email),
    name: optionalString(payload.name),
  };
}

/** The deployment's verifier of ScaiKey tokens, as the API and the codec server both check them. */
export function jwtVerifierFor(env: Config['env']): JwtVerifier {
  return createJwtVerifier({
    issuerUrl: env.SCAIWAVE_SCAIKEY_URL,
    audience: env.SCAIWAVE_SCAIKEY_CLIENT_ID,
    cacheSeconds: env.SCAIWAVE_JWKS_CACHE_SECONDS,
    verifiedTokens: env.SCAIWAVE_AUTH_CACHE_MAX_ENTRIES,
  });
}

export function createJwtVerifier(opts: JwtVerifierOptions): JwtVerifier {
  const log = opts.logger ?? createLogger('scaiwave-auth');
  const timeoutMs = opts.timeoutMs ?? 5000;
  const cacheMs = opts.cacheSeconds * 1000;
  const discoveryUrl = `${opts.issuerUrl.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let current: Metadata | undefined;
  let pending: Promise<Metadata> | undefined;
  const verified = new VerifiedTokens(opts.verifiedTokens ?? 0);

  /** jose's fetch, watched: each key set it fetches tells which remembered tokens may stay. */
  async function fetchKeySet(url: string, init: RequestInit): Promise<Response> {
    const res = await fetch(url, init);
    if (res.status === 200 && verified.size > 0) {
      const doc = (await res.clone().json().catch(() => null)) as { keys?: unknown } | null;
      const keys = Array.isArray(doc?.keys) ? (doc.keys as { kid?: unknown }[]) : [];
      verified.retainKeys(new Set(keys.flatMap((k) => (typeof k?.kid === 'string' ? [k.kid] : []))));
    }
    return res;
  }

  async function discover(previous: Metadata | undefined): Promise<Metadata> {
    const res = await fetch(discoveryUrl, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status !== 200) throw new Error(`discovery answered HTTP ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (typeof doc.issuer !== 'string' || typeof doc.jwks_uri !== 'string') {
      throw new Error('discovery document lacks issuer or jwks_uri');
    }
    const jwksUri = new URL(doc.jwks_uri);
    if (jwksUri.protocol !== 'https:' && jwksUri.protocol !== 'http:') throw new Error('jwks_uri is not an http(s) URL');
    // Keeping the key set across metadata refreshes keeps its cache and its cooldown.
    const keySet =
      previous?.jwksUri === jwksUri.href
        ? previous.keySet
        : createRemoteJWKSet(jwksUri, {
            cacheMaxAge: cacheMs,
            cooldownDuration: (opts.cooldownSeconds ?? 5) * 1000,
            timeoutDuration: timeoutMs,
            [customFetch]: fetchKeySet,
          });
    return { issuer: doc.issuer, jwksUri: jwksUri.href, keySet, expiresAt: Date.now() + cacheMs };
  }

  function metadata(): Promise<Metadata> {
    if (current && current.expiresAt > Date.now()) return Promise.resolve(current);
    // One discovery at a time; a failure is not remembered, so the next call tries again.
    pending ??= discover(current)
      .then((m) => (current = m))
      .finally(() => (pending = undefined));
    return pending;
  }

  function unreachable(err: unknown): AppError {
    log.warn({ err, issuerUrl: opts.issuerUrl }, 'identity provider unreachable');
    return unauthorized(UNREACHABLE);
  }

  return {
    async verify(token) {
      if (token.length > MAX_TOKEN_CHARS) throw unauthorized('token is malformed (expected a signed JWT)');
      // From memory only while the discovery metadata and the key set it was checked against are
      // fresh: past that the full check below fetches them again, dropping the tokens of retired keys.
      const hash = VerifiedTokens.hashOf(token);
      if (current && current.expiresAt > Date.now() && current.keySet.fresh) {
        const claims = verified.get(hash, current);
        if (claims) return claims;
      }
      if (!COMPACT_JWS.test(token)) throw unauthorized('token is malformed (expected a signed JWT)');
      // Checked before any network call, so forged tokens cost nothing even when the IdP is down.
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        throw unauthorized('token is malformed (unreadable header)');
      }
      const { alg, kid } = header;
      if (typeof alg !== 'string' || !ACCEPTED_ALGORITHMS.includes(alg)) {
        throw unauthorized(`token signing algorithm is not accepted; expected one of ${ACCEPTED_ALGORITHMS.join(', ')}`);
      }

      let meta: Metadata;
      try {
        meta = await metadata();
      } catch (err) {
        throw unreachable(err);
      }
      const tolerance = opts.clockToleranceSeconds ?? 30;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, meta.keySet, {
          algorithms: ACCEPTED_ALGORITHMS,
          issuer: meta.issuer,
          audience: opts.audience,
          requiredClaims: ['exp', 'sub'],
          clockTolerance: tolerance,
        }));
      } catch (err) {
        throw rejectionFor(err) ?? unreachable(err);
      }
      // jose checks iat only against a maximum token age; a token minted in the
      // future comes from a wrong clock or a forged lifetime, and is refused.
      if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + tolerance) {
        throw unauthorized('token was issued in the future ("iat" is past the clock tolerance)');
      }
      const claims = claimsOf(payload);
      verified.set(hash, claims, typeof kid === 'string' ? kid : null, meta);
      return claims;
    },
  };
}
