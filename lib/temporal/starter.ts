import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';

/** What every start helper needs: the client and the task queue its workers poll. */
export interface Starter {
  temporal: Client;
  config: Config;
}
