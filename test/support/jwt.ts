import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import { requestDevToken } from '../../devstack/idp/client.js';

// Helpers for tests that speak to a ScaiKey (reference IdP) directly or forge tokens
// it never issued. Kept apart from stack.ts, which the run's global setup owns.

export const b64url = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The protected header of a compact JWS, as the API would read it. */
export function jwtHeader(token: string): { alg?: string; kid?: string } {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as { alg?: string; kid?: string };
}

/** A token from the IdP at `idpUrl`, asked for exactly as `idpToken` does for the run's IdP. */
export const tokenFrom = requestDevToken;

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
