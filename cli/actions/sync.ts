import type { Db } from '../../lib/infra/db.js';
import { startIdentitySync } from '../../domains/identity/client.js';
import { findTenantBySlug } from '../../lib/tenancy/tenants.js';
import type { IdentitySyncOutcome } from '../../domains/identity/workflows.js';
import { withDb, withTemporal } from '../connections.js';
import { CliError, conflict, EXIT, notFound, print, printJson } from '../support.js';

// What `scaiwave sync` does (arguments and help: commands/sync.ts): identity sync
// against ScaiKey now, for one tenant or all active ones, through the same workflow
// the hourly schedule runs. A sync of a tenant already under way is joined, not
// started twice. While runs work, a progress line per tenant goes to stderr every
// second (read from the run's identity_sync_runs row, which the worker updates),
// so stdout carries only results.

const PROGRESS_EVERY_MS = 1000;

interface SyncOptions {
  tenant?: string;
  timeout: number;
  json?: boolean;
}

const counts = (o: IdentitySyncOutcome): string =>
  `added ${o.added}  updated ${o.updated}  deactivated ${o.deactivated}  failed ${o.failed}  skipped (local) ${o.skippedLocal}` +
  (o.idpUsers === null ? '' : `  (ScaiKey listed ${o.idpUsers})`);

const n = (v: number): string => v.toLocaleString('en-US');

/**
 * Every second, one stderr line per tenant sync that runs and has its row: users
 * read and applied, and the counts so far. `stop()` waits for a read under way.
 */
function progressPrinter(db: Db): { watch(runId: string, slug: string): void; unwatch(runId: string): void; stop(): Promise<void> } {
  /** run id (= its identity_sync_runs id) → tenant slug */
  const running = new Map<string, string>();
  let reading: Promise<void> | undefined;
  const printOnce = async (): Promise<void> => {
    const rows = await db.identitySyncRun.findMany({ where: { id: { in: [...running.keys()] }, finishedAt: null } });
    for (const r of rows) {
      const slug = running.get(r.id);
      if (slug === undefined) continue;
      const total = r.idpUsers === null ? '?' : n(r.idpUsers);
      process.stderr.write(
        `  ${slug.padEnd(24)} read ${n(r.usersRead)}/${total}  applied ${n(r.usersApplied)}/${total}  ` +
          `added ${n(r.added)}  updated ${n(r.updated)}  deactivated ${n(r.deactivated)}\n`,
      );
    }
  };
  const timer = setInterval(() => {
    if (reading || running.size === 0) return;
    reading = printOnce()
      .catch((err: unknown) => void process.stderr.write(`  (progress unavailable: ${(err as Error).message})\n`))
      .finally(() => (reading = undefined));
  }, PROGRESS_EVERY_MS);
  return {
    watch: (runId, slug) => void running.set(runId, slug),
    unwatch: (runId) => void running.delete(runId),
    async stop() {
      clearInterval(timer);
      running.clear();
      await reading;
    },
  };
}

async function tenantsToSync(db: Db, slug: string | undefined): Promise<{ id: string; slug: string }[]> {
  if (slug === undefined) {
    return db.tenant.findMany({ where: { status: 'active' }, select: { id: true, slug: true }, orderBy: { slug: 'asc' } });
  }
  const t = await findTenantBySlug(db, slug);
  if (!t) throw notFound(`tenant "${slug}" not found`);
  if (t.status !== 'active') throw conflict(`tenant "${t.slug}" is ${t.status}; only active tenants are synced`);
  return [{ id: t.id, slug: t.slug }];
}

export async function syncCommand(opts: SyncOptions): Promise<void> {
  const results = await withDb(async ({ db }) => {
    const tenants = await tenantsToSync(db, opts.tenant);
    if (tenants.length === 0) return [];
    return withTemporal(async ({ client, config }) => {
      const queue = config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE;
      process.stderr.write(`syncing ${tenants.length} tenant(s) from ScaiKey (${config.env.SCAIWAVE_SCAIKEY_URL}) …\n`);
      const pending = new Map(tenants.map((t) => [t.id, t.slug]));
      const progress = progressPrinter(db);
      let done = 0;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const waiting = [...pending.values()].join(', ');
          reject(new CliError(EXIT.failure, `no result within ${opts.timeout}s for: ${waiting} (is a scaiwave-worker polling task queue "${queue}"?)`));
        }, opts.timeout * 1000);
      });
      try {
        return await Promise.race([
          deadline,
          Promise.all(
            tenants.map(async (t) => {
              const handle = await startIdentitySync({ temporal: client, config }, t);
              // The run a start joined or began; its row in identity_sync_runs carries the run id.
              progress.watch(handle.firstExecutionRunId, t.slug);
              const outcome = await handle.result();
              progress.unwatch(handle.firstExecutionRunId);
              pending.delete(t.id);
              done++;
              if (!opts.json) {
                const why = outcome.reason ? `\n      ${outcome.reason}` : '';
                print(`[${done}/${tenants.length}] ${t.slug.padEnd(24)} ${outcome.status.padEnd(9)} ${counts(outcome)}${why}`);
              }
              return { slug: t.slug, workflowId: handle.workflowId, outcome };
            }),
          ),
        ]);
      } finally {
        clearTimeout(timer);
        await progress.stop();
      }
    });
  });
  if (results.length === 0) {
    if (opts.json) printJson({ tenants: [] });
    else print('No active tenants to sync.');
    return;
  }

  if (opts.json) {
    printJson({
      tenants: results.map(({ slug, workflowId, outcome: o }) => ({
        slug,
        tenant_id: o.tenantId,
        workflow_id: workflowId,
        status: o.status,
        reason: o.reason,
        added: o.added,
        updated: o.updated,
        deactivated: o.deactivated,
        failed: o.failed,
        skipped_local: o.skippedLocal,
        idp_users: o.idpUsers,
      })),
    });
  }
  const incomplete = results.filter((r) => r.outcome.status !== 'completed');
  if (incomplete.length > 0) {
    throw new CliError(
      EXIT.incomplete,
      `identity sync incomplete for ${incomplete.length} of ${results.length} tenant(s): ${incomplete.map((r) => `${r.slug} (${r.outcome.status})`).join(', ')}`,
    );
  }
}
