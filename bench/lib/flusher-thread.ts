import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from '../../lib/config.js';
import { createDb } from '../../lib/infra/db.js';
import { closeRedis, createRedis } from '../../lib/infra/redis.js';
import { flushOnce, type FlushSample } from './flush-once.js';

// The flush loop of bench/accounting.ts, in a thread of its own: in production
// the flush runs in a worker process, not on the event loop that accepts events.
// Flushes every `flushMs` until told to stop, then drains and answers its samples.

export interface FlusherInput {
  env: Record<string, string>;
  flushMs: number;
}

const { env, flushMs } = workerData as FlusherInput;
const config = loadConfig({ ...process.env, ...env });
const db = createDb(config.db);
const redis = createRedis(config);
let stopping = false;
parentPort!.once('message', () => (stopping = true));

const samples: FlushSample[] = [];
while (!stopping) {
  samples.push(await flushOnce(db, redis));
  await new Promise((r) => setTimeout(r, flushMs));
}
while ((await flushOnce(db, redis)).counters > 0);
await Promise.all([db.$disconnect(), closeRedis(redis)]);
parentPort!.postMessage(samples);
