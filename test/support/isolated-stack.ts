import { randomBytes } from 'node:crypto';
import { startApi, type RunningApi } from '../../api/server.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { createDb, type Db } from '../../lib/infra/db.js';
import { applyMigrations } from '../../lib/infra/migrate.js';
import { createTemporalClient } from '../../lib/temporal/client.js';
import { startWorkerProcess, type WorkerProcess } from './processes.js';
import { uniq } from './stack.js';

// A suite's own slice of the run's services: a database of its own (migrated),
// a task queue of its own, an API in this process and a worker process on that
// queue. Other suites' workers never take its tasks; dropping the database
// leaves nothing behind. The worker may be swapped (crash tests).

export interface IsolatedStack {
  env: Record<string, string>;
  config: Config;
  db: Db;
  api: RunningApi;
  worker: WorkerProcess | undefined;
  temporal: ReturnType<typeof createTemporalClient>;
  close(): Promise<void>;
}

export async function startIsolatedStack(name: string, extraEnv: Record<string, string> = {}): Promise<IsolatedStack> {
  const base = loadConfig(process.env);
  const env = {
    SCAIWAVE_DB_URL: `mysql://${base.db.user}:${base.db.password}@${base.db.host}:${base.db.port}/${base.db.database}_${name}_${randomBytes(4).toString('hex')}`,
    SCAIWAVE_TEMPORAL_TASK_QUEUE: uniq(name),
    ...extraEnv,
  };
  const config = loadConfig({ ...process.env, ...env });
  await applyMigrations(config.db);
  const db = createDb(config.db);
  const stack: IsolatedStack = {
    env,
    config,
    db,
    api: await startApi(config, { port: 0 }),
    worker: await startWorkerProcess(env),
    temporal: createTemporalClient(config),
    async close() {
      await stack.worker?.proc.stop(5000);
      await stack.temporal.close();
      await stack.api.close();
      await db.$executeRawUnsafe(`DROP DATABASE IF EXISTS \`${config.db.database}\``);
      await db.$disconnect();
    },
  };
  return stack;
}
