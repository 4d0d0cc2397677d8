import type { Client, Connection } from '@temporalio/client';
import type { CallerResolver } from '../auth/caller.js';
import type { CredentialCache } from '../auth/credential-cache.js';
import type { CredentialChanges } from '../auth/credential-changes.js';
import type { LastUsedStamps } from '../auth/last-used.js';
import type { Config } from '../config.js';
import type { SqlPool } from '../infra/db.js';
import type { Logger } from '../infra/logger.js';
import type { IdempotencyKeys } from './idempotency.js';
import type { Services } from '../services.js';

/**
 * What every route handler may reach, built once per API process (api/server.ts).
 * A domain whose routes need more names it beside them (the STT backends,
 * the room event feed, the search index), and the API's own set is all of them together (api/deps.ts).
 */
export interface RouteDeps extends Services {
  config: Config;
  logger: Logger;
  temporal: Client;
  temporalConnection: Connection;
  callers: CallerResolver;
  /** absent when SCAIWAVE_AUTH_CACHE_SECONDS is 0 */
  credentialCache: CredentialCache | undefined;
  /** every route that revokes or deactivates announces it here (lib/auth/credential-changes.ts) */
  credentialChanges: CredentialChanges;
  lastUsed: LastUsedStamps;
  /** the answers kept for Idempotency-Key retries (lib/http/idempotency.ts) */
  idempotencyKeys: IdempotencyKeys;
  /** the driver's pool beside Prisma's, for the hottest reads: the job poll, ScaiWave's pages, rooms and event log (lib/infra/db.ts) */
  sql: SqlPool;
}
