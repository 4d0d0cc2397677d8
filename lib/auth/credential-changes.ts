import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../infra/logger.js';
import { closeRedis } from '../infra/redis.js';
import type { CredentialCache, CredentialChange } from './credential-cache.js';

// Every API process answers most requests from its own cache of resolved
// credentials (lib/auth/credential-cache.ts), yet a revoked key, a deactivated
// user or a suspended tenant must stop authenticating on every process within
// a second. The protocol, over Redis pub/sub:
//
//   write   whoever changes a credential commits the change in MariaDB first,
//           then PUBLISHes one message naming what changed (an API key, a user,
//           a whole tenant) on `{SCAIWAVE_REDIS_PREFIX}auth:credential-changes`.
//           An API process making the change also drops it from its own cache
//           before it answers, so its caller's next request sees the new state.
//           Writers: the api-keys routes, `scaiwave admin revoke-api-key` and
//           `set-user-source`, identity sync in the worker (one message per
//           tenant it changed).
//   listen  each API process holds one subscriber connection; a message drops
//           every entry it names. Pub/sub delivers at most once: a message sent
//           while a subscriber is disconnected is lost to it. So the cache serves
//           only while its subscription is confirmed: the connection closing
//           empties it and turns it off (every request then reads MariaDB), and
//           after a reconnect it turns on again, empty, only once SUBSCRIBE is
//           confirmed on the new connection.
//   race    a lookup that read MariaDB before a change committed could store the
//           old state after the message dropped it; the cache's generation, moved
//           by every drop, refuses that store.
//   bound   what no message reaches (a half-open socket, a writer that died
//           between commit and publish, a row changed by hand in SQL) lasts at
//           most SCAIWAVE_AUTH_CACHE_SECONDS, the cache's TTL.
//
// Redis rather than NATS core: both deliver at most once, but every API request
// already needs Redis (rate limits, the auth-failure limiter), so invalidation
// fails only when the API cannot answer anyway; ioredis reports each connection
// closing and opening, which is exactly what the cache is switched on; and the
// deployment's Redis prefix already keeps deployments and test runs apart.

const credentialChannel = (redisPrefix: string): string => `${redisPrefix}auth:credential-changes`;

const KINDS = new Set(['api_key', 'user', 'tenant']);

/** The change a message names, or null for anything malformed (which drops the whole cache). */
export function parseCredentialChange(message: string): CredentialChange | null {
  try {
    const m = JSON.parse(message) as Record<string, unknown>;
    if (!KINDS.has(m.kind as string) || typeof m.tenantId !== 'string') return null;
    if (m.kind === 'api_key' && typeof m.apiKeyId !== 'string') return null;
    if (m.kind === 'user' && typeof m.userId !== 'string') return null;
    return m as CredentialChange;
  } catch {
    return null;
  }
}

/** Announces a committed change to every API process; `publish` is the one call of a writer. */
export async function publishCredentialChange(redis: Redis, redisPrefix: string, change: CredentialChange): Promise<void> {
  // Channels are not keys: ioredis's keyPrefix does not apply, so the prefix is written here.
  await redis.publish(credentialChannel(redisPrefix), JSON.stringify(change));
}

export interface CredentialChanges {
  /** Drops the change from this process's cache, then tells every other process. Never throws. */
  announce(change: CredentialChange): Promise<void>;
}

export function credentialChanges(opts: {
  redis: Redis;
  redisPrefix: string;
  logger: Logger;
  cache?: CredentialCache;
}): CredentialChanges {
  return {
    async announce(change) {
      opts.cache?.drop(change);
      try {
        await publishCredentialChange(opts.redis, opts.redisPrefix, change);
      } catch (err) {
        // The change is committed; other processes keep their entry until it expires.
        opts.logger.error({ err, change }, 'could not announce a credential change; other API processes see it within SCAIWAVE_AUTH_CACHE_SECONDS');
      }
    },
  };
}

/** For a short-lived process (the CLI): one connection, one message, closed. Throws if Redis cannot be reached. */
export async function announceOnce(config: Config, change: CredentialChange): Promise<void> {
  const redis = new Redis(config.env.SCAIWAVE_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined); // the failed connect rejects connect() below
  try {
    await redis.connect();
    await publishCredentialChange(redis, config.env.SCAIWAVE_REDIS_PREFIX, change);
  } finally {
    await closeRedis(redis);
  }
}

interface CredentialSubscription {
  close(): Promise<void>;
}

/** The listening half: a connection of its own (a subscribed connection can do nothing else). */
export function subscribeCredentialChanges(opts: {
  redis: Redis;
  redisPrefix: string;
  cache: CredentialCache;
  logger: Logger;
}): CredentialSubscription {
  const { cache, logger } = opts;
  const channel = credentialChannel(opts.redisPrefix);
  // Resubscribing is ours to do, so the cache turns on only after a confirmed SUBSCRIBE.
  // Named, so an operator (or a test) can find it in CLIENT LIST.
  const sub = opts.redis.duplicate({
    autoResubscribe: false,
    maxRetriesPerRequest: null,
    connectionName: `scaiwave-credential-changes-${process.pid}`,
  });
  let connection = 0;
  let closed = false;

  sub.on('ready', () => {
    const mine = connection;
    sub.subscribe(channel).then(
      () => {
        if (mine === connection && !closed) cache.listening(true);
      },
      (err: unknown) => logger.warn({ err }, 'credential changes: SUBSCRIBE failed; the credential cache stays off'),
    );
  });
  sub.on('close', () => {
    connection += 1;
    cache.listening(false);
  });
  sub.on('error', (err: Error) => logger.warn({ err: err.message }, 'credential changes: Redis connection error; the credential cache is off until it is back'));
  sub.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const change = parseCredentialChange(message);
    if (change) {
      cache.drop(change);
    } else {
      logger.warn({ message: message.slice(0, 200) }, 'credential changes: malformed message; the whole cache is dropped');
      cache.listening(true);
    }
  });

  return {
    async close() {
      closed = true;
      cache.listening(false);
      await closeRedis(sub);
    },
  };
}
