import type { Client, Connection } from '@temporalio/client';
import type { Config } from '../lib/config.js';
import type { Db } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';
import type { NatsHandle } from '../lib/nats-handle.js';
import type { Redis } from '../lib/redis.js';
import type { CallerResolver } from '../lib/auth/caller.js';

export interface ApiDeps {
  config: Config;
  logger: Logger;
  db: Db;
  redis: Redis;
  nats: NatsHandle;
  temporal: Client;
  temporalConnection: Connection;
  callers: CallerResolver;
}
