/** What a ScaiKey token says once its signature, issuer, audience and times are checked (lib/auth/jwt-verifier.ts). */
export interface VerifiedClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number | null;
  /** slug of the tenant the token is for */
  tenant: string | null;
  roles: string[];
  email: string | null;
  name: string | null;
}
