import type { Client, Connection } from '@temporalio/client';
import type { CallerResolver } from '../lib/auth/caller.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { Services } from '../lib/services.js';

export interface ApiDeps extends Services {
  config: Config;
  logger: Logger;
  temporal: Client;
  temporalConnection: Connection;
  callers: CallerResolver;
}
