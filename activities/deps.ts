import type { Config } from '../lib/config.js';
import type { Db } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';
import type { Redis } from '../lib/redis.js';

/** What activities may reach; built once per worker process. */
export interface ActivityDeps {
  config: Config;
  db: Db;
  redis: Redis;
  logger: Logger;
  identity: string;
}
