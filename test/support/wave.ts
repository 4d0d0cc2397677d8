import type { Caller } from '../../lib/auth/caller-identity.js';
import { createCallerResolver } from '../../lib/auth/caller.js';
import { createJwtVerifier } from '../../lib/auth/jwt-verifier.js';
import type { Db } from '../../lib/infra/db.js';
import type { Provisioned } from '../../domains/identity/provisioning.js';
import { testConfig } from './stack.js';

/** The caller a tenant's API key resolves to, through the same resolver the API uses. */
export function callerFor(db: Db, t: Provisioned): Promise<Caller> {
  const env = testConfig().env;
  const verifier = createJwtVerifier({ issuerUrl: env.SCAIWAVE_SCAIKEY_URL, audience: env.SCAIWAVE_SCAIKEY_CLIENT_ID, cacheSeconds: 60 });
  return createCallerResolver({ db, verifier, authMode: env.SCAIWAVE_AUTH_MODE }).resolve(`Bearer ${t.apiKey.key}`);
}

/** The smallest valid PNG: what the bytes are, whatever the file is called. */
export const TINY_PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);
