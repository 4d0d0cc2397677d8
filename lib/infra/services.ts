import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config.js';
import { createDb, type Db } from './db.js';
import type { Logger } from './logger.js';
import { ensureStream, scaiechoJobsStream } from '../events/jetstream.js';
import { NatsHandle } from './nats-handle.js';
import { waveRoomsStream } from '../wave/events.js';
import { closeRedis, createRedis, type Redis } from './redis.js';
import { createS3 } from './s3.js';
import { SttBackends } from '../scaiecho/backends.js';
import { NodeRegistry } from '../scaiecho/node-registry.js';

/** The clients a process holds for its life; the API and the worker build the same set. */
export interface Services {
  db: Db;
  redis: Redis;
  s3: S3Client;
  nats: NatsHandle;
  registry: NodeRegistry;
  backends: SttBackends;
  close(): Promise<void>;
}

export function createServices(config: Config, logger: Logger, name: string): Services {
  const db = createDb(config.db);
  const redis = createRedis(config);
  const s3 = createS3(config);
  const nats = new NatsHandle(config, name, logger, async (nc) => {
    await ensureStream(nc, config, scaiechoJobsStream);
    await ensureStream(nc, config, waveRoomsStream);
  });
  const registry = new NodeRegistry(redis, config.env.SCAIWAVE_SCAIECHO_NODE_TTL_SECONDS);
  const backends = new SttBackends(config, registry);
  return {
    db,
    redis,
    s3,
    nats,
    registry,
    backends,
    async close() {
      await Promise.allSettled([db.$disconnect(), closeRedis(redis), nats.close()]);
      s3.destroy();
      backends.close();
    },
  };
}
