import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Db } from '../../lib/infra/db.js';
import { startIdentitySync } from '../../lib/identity/workflows.js';
import { findTenantBySlug } from '../../lib/tenancy/tenants.js';
import type { IdentitySyncOutcome } from '../../workflows/identity-sync.js';
import { CliError, conflict, EXIT, EXIT_CODES_HELP, notFound, print, printJson, withDb, withTemporal } from '../support.js';

// `scaiwave sync`: identity sync against ScaiKey now, for one tenant or all
// active ones, through the same workflow the hourly schedule runs. A sync of a
// tenant already under way is joined, not started twice. While runs work, a
// progress line per tenant goes to stderr every second (read from the run's
// identity_sync_runs row, which the worker updates), so stdout carries only results.

const PROGRESS_EVERY_MS = 1000;

interface SyncOptions {
  tenant?: string;
  timeout: number;
  json?: boolean;
}

function parseSeconds(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 86_400) throw new InvalidArgumentError('must be a whole number of seconds from 1 to 86400.');
  return n;
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

async function syncCommand(opts: SyncOptions): Promise<void> {
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

export function registerSyncCommand(program: Command): void {
  program
    .command('sync')
    .description('identity sync against ScaiKey now: add, update and deactivate its users; waits, shows progress, prints the counts')
    .option('--tenant <slug>', 'sync only this tenant (default: every active tenant)')
    .addOption(new Option('--timeout <seconds>', 'give up waiting after this long').default(600).argParser(parseSeconds))
    .addOption(new Option('--json', 'print one JSON document to stdout instead of text'))
    .addHelpText(
      'after',
      '\nScaiKey is the source of truth for the users it manages (source "scaikey"): those it no longer\n' +
        'lists as active are deactivated and their API keys revoked (nothing is deleted), unless ScaiKey\n' +
        'failed, sent a truncated listing, or lists fewer active users than\n' +
        'SCAIWAVE_IDENTITY_SYNC_MIN_PRESENT_PERCENT of the scaikey users known here; then nobody is\n' +
        'deactivated and the reason is printed. Local users (the bootstrap admin, service accounts, users\n' +
        'made by `scaiwave admin`) are never touched; a ScaiKey user with a local user\'s subject is left\n' +
        'alone and counted as "skipped (local)". Progress goes to stderr every second; results to stdout.\n' +
        'Needs a running scaiwave-worker. Every run is recorded in identity_sync_runs.\n' +
        EXIT_CODES_HELP,
    )
    .action(syncCommand);
}
