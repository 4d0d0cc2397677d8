import { createHash } from 'node:crypto';
import type { JWK } from 'jose';

// Helpers for tests that speak to a ScaiKey (reference IdP) directly or forge tokens
// it never issued. Kept apart from stack.ts, which the run's global setup owns.

export const b64url = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The protected header of a compact JWS, as the API would read it. */
export function jwtHeader(token: string): { alg?: string; kid?: string } {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as { alg?: string; kid?: string };
}

/** A token from the IdP at `idpUrl`, asked for exactly as `idpToken` does for the run's IdP. */
export async function tokenFrom(
  idpUrl: string,
  claims: { sub: string; tenant: string; roles?: string[]; aud?: string; expires_in?: number },
): Promise<string> {
  const res = await fetch(`${idpUrl}/token`, {
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
    }),
  });
  if (!res.ok) throw new Error(`IdP token request failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function idpIssuer(idpUrl: string): Promise<string> {
  const doc = (await (await fetch(`${idpUrl}/.well-known/openid-configuration`)).json()) as { issuer: string };
  return doc.issuer;
}

export async function idpJwks(idpUrl: string): Promise<(JWK & { kid: string })[]> {
  return ((await (await fetch(`${idpUrl}/jwks`)).json()) as { keys: (JWK & { kid: string })[] }).keys;
}

export async function rotateIdpKeys(idpUrl: string): Promise<string> {
  const res = await fetch(`${idpUrl}/admin/keys/rotate`, { method: 'POST' });
  if (!res.ok) throw new Error(`IdP key rotation failed: ${res.status}`);
  return ((await res.json()) as { kid: string }).kid;
}
