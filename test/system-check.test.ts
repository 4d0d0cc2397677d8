import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { waitUntil } from '../devstack/ports.js';
import { call, testConfig, uniq } from './support/stack.js';
import { captureHistory } from './support/histories.js';
import { writeWorkflowBundle } from '../worker/bundle.js';
import { startWorkerProcess, type WorkerProcess } from './support/processes.js';

// A workflow round trip through a real worker process: API → Temporal → worker
// → MariaDB/Redis → back. Also the worker's own health, metrics and shutdown.
describe('system check through the worker', () => {
  const taskQueue = uniq('system-check');
  const env = { SCAIWAVE_TEMPORAL_TASK_QUEUE: taskQueue };
  let api: RunningApi;
  let worker: WorkerProcess;

  beforeAll(async () => {
    // The production path: a bundle built ahead of time, loaded by the worker.
    const bundle = path.join(os.tmpdir(), `${taskQueue}.js`);
    await writeWorkflowBundle(bundle);
    worker = await startWorkerProcess({ ...env, SCAIWAVE_WORKFLOW_BUNDLE: bundle, SCAIWAVE_LOG_LEVEL: 'info' });
    api = await startApi(testConfig(env), { port: 0 });
  });
  afterAll(async () => {
    await api?.close();
    await worker?.proc.stop(2000);
  });

  it('runs the workflow on the worker and returns what the worker saw', async () => {
    const res = await call<{ workflow_id: string; worker_identity: string; db_ok: boolean; redis_ok: boolean }>(
      api.url,
      'POST',
      '/v1/admin/system-check',
      { token: testConfig().env.SCAIWAVE_SERVICE_TOKEN },
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ db_ok: true, redis_ok: true });
    expect(res.body.data?.worker_identity).toBe(`scaiwave-worker@${os.hostname()}:${worker.proc.child.pid}`);

    // The worker's log tells the run's story in two lines, from the prebuilt bundle's interceptor.
    const lifecycle = async () =>
      fs
        .readFileSync(worker.proc.logFile, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg?: string; workflowId?: string; workflowType?: string; outcome?: string })
        .filter((l) => l.workflowId === res.body.data?.workflow_id);
    await waitUntil('lifecycle lines', async () => (await lifecycle()).length >= 2, 20_000);
    expect((await lifecycle()).map((l) => [l.msg, l.workflowType, l.outcome])).toEqual([
      ['workflow started', 'systemCheckWorkflow', undefined],
      ['workflow ended', 'systemCheckWorkflow', 'completed'],
    ]);
    const described = await api.deps.temporal.workflow.getHandle(res.body.data!.workflow_id).describe();
    expect(described.status.name).toBe('COMPLETED');
    expect(described.taskQueue).toBe(taskQueue);
    await captureHistory('systemCheckWorkflow--completed', api.deps.temporal.workflow.getHandle(res.body.data!.workflow_id));
  });

  it('serves its health and, on one scrape, its own and the Temporal SDK metrics', async () => {
    const health = await fetch(`http://127.0.0.1:${worker.port}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ data: { state: 'RUNNING' } });
    const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    expect(metrics).toMatch(/^process_cpu_user_seconds_total\{service="scaiwave-worker"\}/m);
    expect(metrics).toMatch(/^temporal_workflow_completed\{[^}]*task_queue="system-check-/m);
  });

  it('answers 503 naming the task queue when no worker brings the check back', async () => {
    const idle = uniq('no-worker');
    const lonely = await startApi(testConfig({ SCAIWAVE_TEMPORAL_TASK_QUEUE: idle }), { port: 0 });
    try {
      // Nobody polls this queue: the workflow's 30 s execution timeout is the answer.
      const res = await call(lonely.url, 'POST', '/v1/admin/system-check', { token: testConfig().env.SCAIWAVE_SERVICE_TOKEN });
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(res.body.error?.message).toContain(idle);
    } finally {
      await lonely.close();
    }
  }, 120_000);

  it('stops gracefully on SIGTERM with exit code 0', async () => {
    worker.proc.child.kill('SIGTERM');
    expect(await worker.proc.exited).toBe(0);
  });
});
