import Router from '@koa/router';
import type { Client } from '@temporalio/client';
import type { Config } from '../../lib/config.js';
import { startSystemCheck } from '../../lib/temporal/system-check.js';
import { ok } from '../envelope.js';
import type { ApiState } from '../state.js';

/** Mounted under the platform operators' router: it shows workers' hosts and loads the shared cluster. */
export function systemCheckRoutes(config: Config, temporal: Client): Router<ApiState> {
  const router = new Router<ApiState>();

  /** Runs a workflow through a worker and back: proves the whole durable path is alive. */
  router.post('/system-check', async (ctx) => {
    const started = Date.now();
    const handle = await startSystemCheck({ temporal, config });
    const result = await handle.result();
    ok(ctx, {
      workflow_id: handle.workflowId,
      run_id: handle.firstExecutionRunId,
      worker_identity: result.workerIdentity,
      worker_host: result.host,
      db_ok: result.dbOk,
      redis_ok: result.redisOk,
      round_trip_ms: Date.now() - started,
    });
  });

  return router;
}
