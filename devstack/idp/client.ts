// How dev tools, tests and benchmarks get a token from the reference ScaiKey:
// the client-credentials grant with its dev extension claims.

export interface DevTokenClaims {
  sub: string;
  tenant: string;
  roles?: string[];
  aud?: string;
  expires_in?: number;
  email?: string;
}

export async function requestDevToken(
  idpUrl: string,
  claims: DevTokenClaims,
  client = { id: 'scaiwave', secret: 'scaiwave-dev-secret' },
): Promise<string> {
  const res = await fetch(`${idpUrl}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: client.id,
      client_secret: client.secret,
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
