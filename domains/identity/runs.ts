import type { Db } from '../../lib/infra/db.js';

// The identity_sync_runs row of one sync run: created when it starts, its
// counters raised by sync.ts together with each change, its progress columns
// written at most once a second while it works (what `scaiwave sync` prints),
// and its outcome set when it ends.

export type SyncTrigger = 'schedule' | 'cli';

export interface RunEnd {
  status: 'completed' | 'guarded' | 'failed';
  reason: string | null;
  idpUsers: number | null;
  failed: number;
  skippedLocal: number;
}

export interface RunCounts {
  status: string;
  reason: string | null;
  added: number;
  updated: number;
  deactivated: number;
  failed: number;
  skippedLocal: number;
  idpUsers: number | null;
}

/** Idempotent: a retried start finds its row. */
export async function beginRun(db: Db, run: { runId: string; tenantId: string; workflowId: string; trigger: SyncTrigger }): Promise<void> {
  await db.identitySyncRun.createMany({
    data: [{ id: run.runId, tenantId: run.tenantId, workflowId: run.workflowId, triggeredBy: run.trigger, status: 'running' }],
    skipDuplicates: true,
  });
}

export async function finishRun(db: Db, runId: string, end: RunEnd): Promise<RunCounts> {
  const row = await db.identitySyncRun.update({
    where: { id: runId },
    data: {
      status: end.status,
      reason: end.reason?.slice(0, 1024) ?? null,
      idpUsers: end.idpUsers,
      failed: end.failed,
      skippedLocal: end.skippedLocal,
      finishedAt: new Date(),
    },
  });
  return {
    status: row.status,
    reason: row.reason,
    added: row.added,
    updated: row.updated,
    deactivated: row.deactivated,
    failed: row.failed,
    skippedLocal: row.skippedLocal,
    idpUsers: row.idpUsers,
  };
}

interface RunProgress {
  /** users read from ScaiKey so far, and how many it reports in all */
  usersRead?: number;
  idpUsers?: number;
  /** directory users compared and applied here so far */
  usersApplied?: number;
}

/**
 * Progress of a running sync, written to its row at most every `everyMs` (and
 * whenever `force` is set). Plain values, set not added: an attempt that is
 * retried simply starts reporting again from its own figures.
 */
export function runProgress(db: Db, runId: string, everyMs = 1000): (p: RunProgress, force?: boolean) => Promise<void> {
  let pending: RunProgress = {};
  let last = 0;
  return async (p, force = false) => {
    pending = { ...pending, ...p };
    if (!force && Date.now() - last < everyMs) return;
    last = Date.now();
    const data = pending;
    pending = {};
    if (Object.keys(data).length > 0) await db.identitySyncRun.update({ where: { id: runId }, data });
  };
}
