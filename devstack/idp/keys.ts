import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

export const SIGNING_ALG = 'RS256';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface KeyStore {
  /** The key new tokens are signed with. */
  current(): SigningKey;
  /** Every key a verifier may still meet, current first. */
  publicJwks(): { keys: JWK[] };
  rotate(retirePrevious: boolean): Promise<{ kid: string; retired: string[] }>;
}

interface StoredKey {
  kid: string;
  privateJwk: JWK;
}

const FILE = 'signing-keys.json';

function publicPart(jwk: JWK, kid: string): JWK {
  return { kty: jwk.kty, n: jwk.n, e: jwk.e, kid, alg: SIGNING_ALG, use: 'sig' };
}

async function toSigningKey(stored: StoredKey): Promise<SigningKey> {
  const privateKey = (await importJWK(stored.privateJwk, SIGNING_ALG)) as CryptoKey;
  return { kid: stored.kid, privateKey, publicJwk: publicPart(stored.privateJwk, stored.kid) };
}

async function generate(): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true, modulusLength: 2048 });
  const privateJwk = await exportJWK(privateKey);
  // A thumbprint kid is stable across restarts and never collides between keys.
  const kid = await calculateJwkThumbprint({ kty: 'RSA', n: privateJwk.n, e: privateJwk.e });
  return { kid, privateJwk: { ...privateJwk, kid, alg: SIGNING_ALG, use: 'sig' } };
}

async function load(dataDir: string): Promise<StoredKey[] | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dataDir, FILE), 'utf8')) as { keys?: JWK[] };
    const keys = (parsed.keys ?? []).filter((k): k is JWK & { kid: string } => typeof k.kid === 'string' && !!k.d);
    return keys.length > 0 ? keys.map((privateJwk) => ({ kid: privateJwk.kid, privateJwk })) : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function save(dataDir: string, keys: StoredKey[]): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tmp = join(dataDir, `${FILE}.${randomUUID()}.tmp`);
  // Private keys: owner-only, and written whole so a crash never leaves half a file.
  await writeFile(tmp, `${JSON.stringify({ keys: keys.map((k) => k.privateJwk) }, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, join(dataDir, FILE));
}

/** Keys live in memory, or in `dataDir` as a private JWK Set so dev tokens survive restarts. */
export async function openKeyStore(dataDir?: string): Promise<KeyStore> {
  let stored = (dataDir && (await load(dataDir))) || [await generate()];
  if (dataDir) await save(dataDir, stored);
  let keys = await Promise.all(stored.map(toSigningKey));

  return {
    current: () => keys[0]!,
    publicJwks: () => ({ keys: keys.map((k) => k.publicJwk) }),
    async rotate(retirePrevious) {
      const fresh = await generate();
      const key = await toSigningKey(fresh);
      // Both lists change together, after the awaits, so concurrent rotations never drop a key.
      const retired = retirePrevious ? stored.map((k) => k.kid) : [];
      stored = retirePrevious ? [fresh] : [fresh, ...stored];
      keys = retirePrevious ? [key] : [key, ...keys];
      if (dataDir) await save(dataDir, stored);
      return { kid: fresh.kid, retired };
    },
  };
}
