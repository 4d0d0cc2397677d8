import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../lib/config.js';
import type { Db, SqlPool } from '../lib/infra/db.js';
import type { Logger } from '../lib/infra/logger.js';
import type { NatsHandle } from '../lib/infra/nats-handle.js';
import type { Redis } from '../lib/infra/redis.js';
import type { SttBackends } from '../lib/scaiecho/backends.js';
import type { SearchServices } from '../lib/search/search-services.js';
import type { NodeRegistry } from '../lib/scaiecho/node-registry.js';

/** What activities may reach; built once per worker process. */
export interface ActivityDeps {
  config: Config;
  db: Db;
  /** the mariadb driver beside Prisma, for reads of many rows (a room export's messages) */
  sql: SqlPool;
  redis: Redis;
  s3: S3Client;
  nats: NatsHandle;
  backends: SttBackends;
  registry: NodeRegistry;
  logger: Logger;
  identity: string;
  search: SearchServices;
}
