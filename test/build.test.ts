import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltScaiwave } from './support/cli.js';
import { startApiProcess, startWorkerProcess, type ApiProcess, type WorkerProcess } from './support/processes.js';
import { call, newTenant, testConfig, testDb, uniq } from './support/stack.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// What `npm run build` produces is what the image and `npm start` run: the
// compiled API and worker (with the prebuilt workflow bundle) and the `scaiwave`
// bin, none of them through a TypeScript loader.
describe('compiled build (npm run build)', () => {
  const taskQueue = uniq('built');
  const env = { SCAIWAVE_TEMPORAL_TASK_QUEUE: taskQueue };
  let api: ApiProcess;
  let worker: WorkerProcess;

  beforeAll(async () => {
    await promisify(execFile)('bash', ['scripts/build.sh'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    worker = await startWorkerProcess(
      { ...env, SCAIWAVE_WORKFLOW_BUNDLE: path.join(root, 'dist', 'workflow-bundle.js') },
      'dist/worker/main.js',
    );
    api = await startApiProcess(env, 'dist/api/main.js');
  }, 300_000);
  afterAll(async () => {
    await api?.proc.stop(2000);
    await worker?.proc.stop(2000);
  });

  it('serves /health and runs a workflow through the compiled worker', async () => {
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
    const res = await call<{ db_ok: boolean; redis_ok: boolean; worker_identity: string }>(api.url, 'POST', '/v1/admin/system-check', {
      token: testConfig().env.SCAIWAVE_SERVICE_TOKEN,
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ db_ok: true, redis_ok: true });
    expect(res.body.data?.worker_identity).toContain(`:${worker.proc.child.pid}`);
  });

  it('runs the scaiwave bin against the database', async () => {
    const db = testDb();
    try {
      const t = await newTenant(db);
      const run = await runBuiltScaiwave(['admin', 'list-tenants', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const listed = JSON.parse(run.stdout) as { tenants: { slug: string }[] };
      expect(listed.tenants.map((x) => x.slug)).toContain(t.tenant.slug);
    } finally {
      await db.$disconnect();
    }
  });

  it('prints the first line of --help into `head -1` and exits 0 without a stack trace', async () => {
    const { stdout, stderr } = await promisify(execFile)('bash', ['-o', 'pipefail', '-c', 'node cli/bin.js --help | head -1'], { cwd: root });
    expect(stdout).toBe('Usage: scaiwave [options] [command]\n');
    expect(stderr).toBe('');
  });

  it('exits quietly when its reader has gone before it writes', async () => {
    const child = spawn(process.execPath, ['cli/bin.js', '--help'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    // The read end closes at once, so every write the CLI makes fails with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
