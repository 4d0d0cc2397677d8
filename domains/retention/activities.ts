import { Context } from '@temporalio/activity';
import { cutoffOf, purgeExpiredJobs, purgeStagedAudio, retentionOf, type PurgeContext } from './purge.js';
import { eventLogCutoff, pruneEventLog } from '../wave/event-retention.js';
import { retentionHolds } from '../holds/holds.js';
import type { ActivityDeps } from '../../lib/temporal/activity-deps.js';

interface Resume {
  after?: string;
  purged?: number;
}

export function retentionActivities(deps: ActivityDeps) {
  const { db } = deps;

  /** Runs one purge for one tenant, resuming after the last page a killed attempt reported. */
  async function purge(
    input: { runId: string; tenantId: string },
    days: 'stagedAudioDays' | 'jobDays',
    run: (c: PurgeContext) => Promise<number>,
  ): Promise<number> {
    const ctx = Context.current();
    const resume = (ctx.info.heartbeatDetails ?? {}) as Resume;
    const before = resume.purged ?? 0;
    // A legal hold keeps what it covers: the whole tenant, or its held users' jobs.
    const holds = await retentionHolds(db, input.tenantId);
    if (holds.tenantHeld) return before;
    const tenant = await db.tenant.findUniqueOrThrow({ where: { id: input.tenantId }, select: { features: true } });
    const purged = await run({
      db,
      s3: deps.s3,
      bucket: deps.config.env.SCAIWAVE_S3_BUCKET,
      runId: input.runId,
      tenantId: input.tenantId,
      cutoff: cutoffOf(new Date(), retentionOf(tenant.features, deps.config.env)[days]),
      heldUserIds: holds.heldUserIds,
      after: resume.after,
      onPage: (after, n) => ctx.heartbeat({ after, purged: before + n } satisfies Resume),
    });
    return before + purged;
  }

  return {
    /** Every tenant, active or not: retention applies to data of suspended tenants too. Ids only. */
    async listRetentionTenants(): Promise<string[]> {
      return (await db.tenant.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((t) => t.id);
    },

    async purgeTenantExpiredJobs(input: { runId: string; tenantId: string }): Promise<number> {
      return purge(input, 'jobDays', purgeExpiredJobs);
    },

    async purgeTenantStagedAudio(input: { runId: string; tenantId: string }): Promise<number> {
      return purge(input, 'stagedAudioDays', purgeStagedAudio);
    },

    /** The tenant's room events past the stream's retention; ids and metadata only, so no audit row each. */
    async pruneTenantWaveEvents(input: { tenantId: string }): Promise<number> {
      if ((await retentionHolds(db, input.tenantId)).tenantHeld) return 0;
      const ctx = Context.current();
      return pruneEventLog(db, input.tenantId, eventLogCutoff(new Date()), (deleted) => ctx.heartbeat(deleted));
    },
  };
}

/** What a workflow proxies: the steps this file defines. */
export type RetentionActivities = ReturnType<typeof retentionActivities>;
