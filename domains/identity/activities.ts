import { Context } from '@temporalio/activity';
import { credentialChanges } from '../../lib/auth/credential-changes.js';
import { beginRun, finishRun, type RunCounts, type RunEnd, type SyncTrigger } from './runs.js';
import { syncTenant, type SyncResult } from './sync.js';
import { failure } from '../../lib/temporal/failures.js';
import type { ActivityDeps } from '../../lib/temporal/activity-deps.js';
import { asFailure } from '../../lib/temporal/activity-failures.js';

export type { RunCounts, RunEnd, SyncResult, SyncTrigger };

export function identitySyncActivities(deps: ActivityDeps) {
  const { db } = deps;
  const e = deps.config.env;
  const changes = credentialChanges({ redis: deps.redis, redisPrefix: e.SCAIWAVE_REDIS_PREFIX, logger: deps.logger });

  return {
    /** Tenants whose users ScaiKey manages: every active one. Ids only. */
    async listSyncTenants(): Promise<string[]> {
      const rows = await db.tenant.findMany({ where: { status: 'active' }, select: { id: true }, orderBy: { id: 'asc' } });
      return rows.map((r) => r.id);
    },

    async beginIdentitySync(run: { runId: string; tenantId: string; workflowId: string; trigger: SyncTrigger }): Promise<void> {
      await beginRun(db, run);
    },

    /**
     * Reads the tenant's directory from ScaiKey and applies it. Personal data
     * (names, emails) stays inside this activity: only counts leave it. Progress
     * goes to the heartbeat and, once a second, to the run's row (`scaiwave sync` prints it).
     */
    async syncTenantIdentities(input: { runId: string; tenantId: string }): Promise<SyncResult> {
      const ctx = Context.current();
      const secret = e.SCAIWAVE_SCAIKEY_CLIENT_SECRET;
      if (!secret) {
        throw failure('IDP_NOT_CONFIGURED', 'SCAIWAVE_SCAIKEY_CLIENT_SECRET is not set: identity sync cannot sign in to ScaiKey');
      }
      const tenant = await db.tenant.findUniqueOrThrow({ where: { id: input.tenantId }, select: { slug: true } });
      return asFailure(() =>
        syncTenant(db, {
          runId: input.runId,
          tenantId: input.tenantId,
          tenantSlug: tenant.slug,
          scim: {
            baseUrl: e.SCAIWAVE_SCAIKEY_URL,
            clientId: e.SCAIWAVE_SCAIKEY_CLIENT_ID,
            clientSecret: secret,
            pageSize: e.SCAIWAVE_IDENTITY_SYNC_PAGE_SIZE,
            signal: ctx.cancellationSignal,
          },
          minPresentPercent: e.SCAIWAVE_IDENTITY_SYNC_MIN_PRESENT_PERCENT,
          heartbeat: (details) => ctx.heartbeat(details),
          changes,
        }),
      );
    },

    async finishIdentitySync(runId: string, end: RunEnd): Promise<RunCounts> {
      return finishRun(db, runId, end);
    },
  };
}

/** What a workflow proxies: the steps this file defines. */
export type IdentitySyncActivities = ReturnType<typeof identitySyncActivities>;
