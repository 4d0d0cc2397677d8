import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import type { Config } from '../../../lib/config.js';
import type { Db } from '../../../lib/infra/db.js';
import type { NatsHandle } from '../../../lib/infra/nats-handle.js';
import { workflowIds } from '../../../lib/temporal/workflow-ids.js';
import type { WaveUserErasure } from '../../../lib/generated/prisma/client.js';
import { scanJetStream } from './jetstream.js';
import { scanMariadb } from './mariadb.js';
import { needlesOf, type StoreScan, type TraceHit } from './needles.js';
import { scanRedis } from './redis.js';
import { scanS3 } from './s3.js';
import { scanSearchIndex } from './search-index.js';
import { scanTemporal } from './temporal.js';

export interface TraceScanDeps {
  db: Db;
  s3: S3Client;
  nats: Pick<NatsHandle, 'get'>;
  temporal: Client;
  config: Config;
}

/** What the compliance officer knows of the person besides the id the record keeps: none of it is stored by the erasure. */
export interface TraceClues {
  email?: string;
  subject?: string;
  /** exact text of some of their messages, transcripts or file names */
  phrases?: readonly string[];
}

export interface TraceReport {
  erasure_id: string;
  stores: StoreScan[];
  hits: TraceHit[];
}

/**
 * The completeness scan of an erasure: every store searched for the user's id
 * and the clues given, each hit reported with where it is. Zero hits after an
 * erasure is the proof that it is complete; each store also says how much it
 * read and what it could not, so the zero is never wider than the scan.
 */
export async function scanForTraces(deps: TraceScanDeps, e: Pick<WaveUserErasure, 'id' | 'tenantId' | 'userId'>, clues: TraceClues): Promise<TraceReport> {
  const needles = needlesOf(e.userId, clues);
  const stores = [
    await scanMariadb(deps.db, needles),
    await scanS3(deps.s3, deps.config.env.SCAIWAVE_S3_BUCKET, e.tenantId, needles),
    await scanRedis(deps.config, needles),
    await scanJetStream(deps.nats, deps.config, needles),
    scanSearchIndex(deps.config, e.tenantId, needles),
    await scanTemporal(deps.temporal, deps.config, e.tenantId, workflowIds.eraseUser(e.userId), needles),
  ];
  return { erasure_id: e.id, stores, hits: stores.flatMap((s) => s.hits) };
}
