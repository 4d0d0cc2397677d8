import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Config } from '../../lib/config.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import { ok } from '../envelope.js';
import type { ApiState } from '../state.js';

/** Mounted under the platform operators' router: it shows workers' hosts and loads the shared cluster. */
export function systemCheckRoutes(config: Config, temporal: Client): Router<ApiState> {
  const router = new Router<ApiState>();

  /** Runs a workflow through a worker and back: proves the whole durable path is alive. */
  router.post('/system-check', async (ctx) => {
    const workflowId = workflowIds.systemCheck(randomUUID());
    const started = Date.now();
    const handle = await temporal.workflow.start('systemCheckWorkflow', {
      taskQueue: config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
      workflowId,
      workflowExecutionTimeout: '30 seconds',
      staticSummary: 'Operator system check: API → Temporal → worker → MariaDB/Redis',
    });
    const result = (await handle.result()) as { workerIdentity: string; host: string; dbOk: boolean; redisOk: boolean };
    ok(ctx, {
      workflow_id: workflowId,
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
