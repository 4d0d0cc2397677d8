import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config.js';
import type { Db, SqlPool } from '../infra/db.js';
import type { Logger } from '../infra/logger.js';
import type { NatsHandle } from '../infra/nats-handle.js';
import type { Redis } from '../infra/redis.js';
import type { NodeRegistry } from '../scaiinfer/node-registry.js';

/**
 * The clients every domain's activities may reach, built once per worker
 * process (worker/create.ts); a domain that needs more names it beside its
 * activities (the STT backends: domains/scaiecho/activities.ts; the search index:
 * domains/search/activities.ts).
 */
export interface ActivityDeps {
  config: Config;
  db: Db;
  /** the mariadb driver beside Prisma, for reads of many rows (a room export's messages) */
  sql: SqlPool;
  redis: Redis;
  s3: S3Client;
  nats: NatsHandle;
  registry: NodeRegistry;
  logger: Logger;
  identity: string;
}
