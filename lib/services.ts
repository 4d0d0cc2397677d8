import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from './config.js';
import { createDb, type Db } from './infra/db.js';
import type { Logger } from './infra/logger.js';
import { ensureStream, type StreamSpec } from './events/jetstream.js';
import { NatsHandle } from './infra/nats-handle.js';
import { closeRedis, createRedis, type Redis } from './infra/redis.js';
import { createS3 } from './infra/s3.js';
import { NodeRegistry } from './scaiinfer/node-registry.js';

/**
 * The ground-floor clients a process holds for its life. The API and the worker
 * (the composition roots) build them here, name the JetStream streams they
 * publish to, and add what a domain needs on top (the STT backends).
 */
export interface Services {
  db: Db;
  redis: Redis;
  s3: S3Client;
  nats: NatsHandle;
  registry: NodeRegistry;
  close(): Promise<void>;
}

export function createServices(config: Config, logger: Logger, name: string, streams: readonly StreamSpec[]): Services {
  const db = createDb(config.db);
  const redis = createRedis(config);
  const s3 = createS3(config);
  const nats = new NatsHandle(config, name, logger, async (nc) => {
    for (const stream of streams) await ensureStream(nc, config, stream);
  });
  const registry = new NodeRegistry(redis, config.env.SCAIWAVE_SCAIECHO_NODE_TTL_SECONDS);
  return {
    db,
    redis,
    s3,
    nats,
    registry,
    async close() {
      await Promise.allSettled([db.$disconnect(), closeRedis(redis), nats.close()]);
      s3.destroy();
    },
  };
}
