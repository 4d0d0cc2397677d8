import type { Client, Connection } from '@temporalio/client';
import type { CallerResolver } from '../lib/auth/caller.js';
import type { CredentialCache } from '../lib/auth/credential-cache.js';
import type { CredentialChanges } from '../lib/auth/credential-changes.js';
import type { LastUsedStamps } from '../lib/auth/last-used.js';
import type { SearchServices } from '../lib/search/search-services.js';
import type { Config } from '../lib/config.js';
import type { SqlPool } from '../lib/infra/db.js';
import type { Logger } from '../lib/infra/logger.js';
import type { Services } from '../lib/infra/services.js';
import type { EventBell } from '../lib/wave/event-bell.js';
import type { EventFeed } from '../lib/wave/event-feed.js';
import type { OutboxRelay } from '../lib/wave/outbox-relay.js';

export interface ApiDeps extends Services {
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
  /** the driver's pool beside Prisma's, for the hottest reads: the job poll, ScaiWave's pages, rooms and event log (lib/infra/db.ts) */
  sql: SqlPool;
  /** publishes room events; wake() it after a change commits (lib/wave/outbox-relay.ts) */
  outbox: OutboxRelay;
  /** wakes sync long-polls and WebSockets when a tenant's events are readable */
  bell: EventBell;
  /** one reader of the event log per tenant, feeding this process's WebSockets */
  feed: EventFeed;
  /** the message index and the embedder, for search */
  search: SearchServices;
}
