import os from 'node:os';
import type { ActivityDeps } from '../../lib/temporal/activity-deps.js';

interface WorkerProbe {
  workerIdentity: string;
  host: string;
  dbOk: boolean;
  redisOk: boolean;
}

export function systemActivities(deps: ActivityDeps) {
  return {
    /** Proves a worker is polling the queue and can reach the stores it needs. */
    async probeWorkerDependencies(): Promise<WorkerProbe> {
      const [db, redis] = await Promise.allSettled([deps.db.$queryRaw`SELECT 1`, deps.redis.ping()]);
      return {
        workerIdentity: deps.identity,
        host: os.hostname(),
        dbOk: db.status === 'fulfilled',
        redisOk: redis.status === 'fulfilled',
      };
    },
  };
}

/** What a workflow proxies: the steps this file defines. */
export type SystemActivities = ReturnType<typeof systemActivities>;
