import { WorkflowFailedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { Config } from '../../lib/config.js';
import { AppError } from '../../lib/errors.js';
import { startSystemCheck } from './client.js';
import { operation } from '../../lib/http/operation.js';

const outcome = z.object({
  workflow_id: z.string(),
  run_id: z.string(),
  worker_identity: z.string(),
  worker_host: z.string(),
  db_ok: z.boolean(),
  redis_ok: z.boolean(),
  round_trip_ms: z.number().int(),
});

/** Mounted on the platform operators' group: it shows workers' hosts and loads the shared cluster. */
export function systemCheckRoutes(config: Config, temporal: Client) {
  return [
    operation({
      method: 'post',
      path: '/v1/admin/system-check',
      operationId: 'runSystemCheck',
      summary: 'Run a workflow through a worker and back',
      description: 'Proves the whole durable path is alive: API → Temporal → worker → MariaDB and Redis → API.',
      tag: 'platform',
      responses: { 200: { description: 'what the worker saw', data: outcome } },
      errors: ['SERVICE_UNAVAILABLE'],
    }).handle(async () => {
      const started = Date.now();
      const handle = await startSystemCheck({ temporal, config });
      // A round trip that does not come back is the check's answer, not an error of the API:
      // most often no worker polls the task queue, and the workflow times out.
      const result = await handle.result().catch((err: unknown) => {
        if (!(err instanceof WorkflowFailedError)) throw err;
        throw new AppError(
          'SERVICE_UNAVAILABLE',
          `the system check did not come back (${err.cause?.message ?? err.message}): is a worker polling task queue ${config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE}?`,
        );
      });
      return {
        status: 200,
        data: {
          workflow_id: handle.workflowId,
          run_id: handle.firstExecutionRunId,
          worker_identity: result.workerIdentity,
          worker_host: result.host,
          db_ok: result.dbOk,
          redis_ok: result.redisOk,
          round_trip_ms: Date.now() - started,
        },
      };
    }),
  ];
}
