import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config.js';
import { createSqlPool, type SqlPool } from '../infra/db.js';
import { parseMasterKeys } from './master-keys.js';
import { SealingCodec } from './payload-codec.js';
import { PayloadKeys } from './payload-keys.js';

export interface PayloadSealing {
  codec: SealingCodec;
  keys: PayloadKeys;
  /** For Client and Worker options: every payload through the codec. */
  dataConverter: DataConverter;
  close(): Promise<void>;
}

/**
 * The codec every client and worker of this deployment installs (API, worker,
 * CLI, schedules, tests, benches), with a small pool of its own: key reads are
 * rare (cached), and must not wait behind a busy process's queries.
 */
export function createPayloadSealing(config: Config, sql?: SqlPool): PayloadSealing {
  const masters = config.env.SCAIWAVE_CODEC_MASTER_KEYS;
  if (!masters) throw new Error('SCAIWAVE_CODEC_MASTER_KEYS is missing: every process that talks to Temporal seals payloads with it (see .env.example)');
  const pool = sql ?? createSqlPool(config.db, 2);
  const keys = new PayloadKeys(pool, parseMasterKeys(masters));
  const codec = new SealingCodec(keys);
  return {
    codec,
    keys,
    dataConverter: { payloadCodecs: [codec] },
    close: async () => {
      if (!sql) await pool.end();
    },
  };
}
