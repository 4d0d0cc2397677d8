import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../lib/config.js';
import type { Db } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';
import type { NatsHandle } from '../lib/nats-handle.js';
import type { Redis } from '../lib/redis.js';
import type { SttBackends } from '../lib/scaiecho/backends.js';
import type { NodeRegistry } from '../lib/scaiecho/node-registry.js';

/** What activities may reach; built once per worker process. */
export interface ActivityDeps {
  config: Config;
  db: Db;
  redis: Redis;
  s3: S3Client;
  nats: NatsHandle;
  backends: SttBackends;
  registry: NodeRegistry;
  logger: Logger;
  identity: string;
}
