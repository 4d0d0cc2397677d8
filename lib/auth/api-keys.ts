import { createHash, randomBytes } from 'node:crypto';
import { AppError, notFound } from '../errors.js';
import { newId } from '../infra/ids.js';
import type { Db } from '../infra/db.js';
import type { ApiKey, Tenant, User } from '../generated/prisma/client.js';

// API keys are bearer secrets: only their sha256 is stored, so a leaked table
// cannot be replayed. Lookup is by that hash through its unique index, which
// leaves no secret-dependent string comparison in our code.

const API_KEY_PREFIX = 'sgk_';
const BODY_CHARS = 40;
const DISPLAY_PREFIX_CHARS = 12;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_SHAPE = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${BODY_CHARS}}$`);

type ApiKeyInfo = Omit<ApiKey, 'keyHash'>;

interface ResolvedApiKey {
  apiKey: ApiKeyInfo;
  user: User;
  tenant: Tenant;
}

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

export const looksLikeApiKey = (token: string): boolean => token.startsWith(API_KEY_PREFIX);

/** The key's start as listings show it (the `prefix` column); it names the key without revealing enough to use it. */
export const apiKeyPrefix = (key: string): string => key.slice(0, DISPLAY_PREFIX_CHARS);

function generateKey(): string {
  let body = '';
  while (body.length < BODY_CHARS) {
    for (const byte of randomBytes(BODY_CHARS)) {
      // 248 = 4 × 62: dropping bytes above it keeps every character equally likely.
      if (byte < 248 && body.length < BODY_CHARS) body += ALPHABET[byte % 62];
    }
  }
  return `${API_KEY_PREFIX}${body}`;
}

const infoSelect = {
  id: true,
  tenantId: true,
  userId: true,
  name: true,
  prefix: true,
  createdAt: true,
  lastUsedAt: true,
  expiresAt: true,
  revokedAt: true,
} as const;

interface NewApiKey {
  tenantId: string;
  userId: string;
  name: string;
  expiresAt?: Date | null;
}

/** The returned `key` is the only time the secret exists outside its holder. */
export async function createApiKey(db: Db, input: NewApiKey): Promise<{ id: string; key: string; prefix: string }> {
  const name = input.name.trim();
  if (name === '' || name.length > 255) throw new AppError('VALIDATION_ERROR', 'API key name must be 1-255 characters');
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    throw new AppError('VALIDATION_ERROR', 'API key expiry must be in the future');
  }
  const owner = await db.user.findFirst({ where: { id: input.userId, tenantId: input.tenantId }, select: { id: true } });
  if (!owner) throw notFound('user');

  const key = generateKey();
  const prefix = apiKeyPrefix(key);
  const { id } = await db.apiKey.create({
    data: {
      id: newId(),
      tenantId: input.tenantId,
      userId: input.userId,
      name,
      prefix,
      keyHash: hashApiKey(key),
      expiresAt: input.expiresAt ?? null,
    },
    select: { id: true },
  });
  return { id, key, prefix };
}

/**
 * True when the tenant has this key (now revoked); another tenant's key, or
 * with `userId` another user's, is simply not found. The caller then announces the change to the API processes' caches
 * (lib/auth/credential-changes.ts).
 */
export async function revokeApiKey(db: Db, ref: { tenantId: string; id: string; userId?: string }): Promise<boolean> {
  const which = { id: ref.id, tenantId: ref.tenantId, ...(ref.userId === undefined ? {} : { userId: ref.userId }) };
  const { count } = await db.apiKey.updateMany({ where: { ...which, revokedAt: null }, data: { revokedAt: new Date() } });
  if (count > 0) return true;
  return (await db.apiKey.count({ where: which })) > 0;
}

export function listApiKeys(db: Db, tenantId: string, userId?: string): Promise<ApiKeyInfo[]> {
  return db.apiKey.findMany({
    where: { tenantId, ...(userId !== undefined && { userId }) },
    select: infoSelect,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
}

/**
 * Null for anything that must not authenticate: unknown, revoked, expired, or an
 * inactive owner. Reads only; the caller notes the use (lib/auth/last-used.ts).
 */
export async function resolveApiKey(db: Db, key: string): Promise<ResolvedApiKey | null> {
  if (!KEY_SHAPE.test(key)) return null;
  const row = await db.apiKey.findUnique({
    where: { keyHash: hashApiKey(key) },
    select: { ...infoSelect, user: true, tenant: true },
  });
  const now = new Date();
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) return null;
  const { user, tenant, ...apiKey } = row;
  if (user.status !== 'active' || tenant.status !== 'active' || user.tenantId !== tenant.id) return null;
  return { apiKey, user, tenant };
}
