import { InvalidArgumentError, Option, type Command } from 'commander';
import { JobKindKey, TenantIdKey } from '../../lib/temporal/search-attributes.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import { findTenantBySlug } from '../../lib/tenants.js';
import type { IdentitySyncOutcome } from '../../workflows/identity-sync.js';
import { CliError, conflict, EXIT, EXIT_CODES_HELP, notFound, print, printJson, withDb, withTemporal } from '../support.js';

// `scaiwave sync`: identity sync against ScaiKey now, for one tenant or all
// active ones, through the same workflow the hourly schedule runs. A sync of a
// tenant already under way is joined, not started twice.

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
  `added ${o.added}  updated ${o.updated}  deactivated ${o.deactivated}  failed ${o.failed}` +
  (o.idpUsers === null ? '' : `  (ScaiKey listed ${o.idpUsers})`);

async function syncCommand(opts: SyncOptions): Promise<void> {
  const tenants = await withDb(async ({ db }) => {
    if (opts.tenant === undefined) {
      return db.tenant.findMany({ where: { status: 'active' }, select: { id: true, slug: true }, orderBy: { slug: 'asc' } });
    }
    const t = await findTenantBySlug(db, opts.tenant);
    if (!t) throw notFound(`tenant "${opts.tenant}" not found`);
    if (t.status !== 'active') throw conflict(`tenant "${t.slug}" is ${t.status}; only active tenants are synced`);
    return [{ id: t.id, slug: t.slug }];
  });
  if (tenants.length === 0) {
    if (opts.json) printJson({ tenants: [] });
    else print('No active tenants to sync.');
    return;
  }

  const results = await withTemporal(async ({ client, config }) => {
    const queue = config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE;
    process.stderr.write(`syncing ${tenants.length} tenant(s) from ScaiKey (${config.env.SCAIWAVE_SCAIKEY_URL}) …\n`);
    const pending = new Map(tenants.map((t) => [t.id, t.slug]));
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
            const handle = await client.workflow.start('identitySyncWorkflow', {
              taskQueue: queue,
              workflowId: workflowIds.identitySync(t.id),
              args: [{ tenantId: t.id, trigger: 'cli' }],
              workflowIdConflictPolicy: 'USE_EXISTING',
              typedSearchAttributes: [
                { key: TenantIdKey, value: t.id },
                { key: JobKindKey, value: 'identity.sync' },
              ],
              staticSummary: `Identity sync of tenant ${t.slug} from ScaiKey (scaiwave sync)`,
            });
            const outcome = (await handle.result()) as IdentitySyncOutcome;
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
    }
  });

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
    .description('identity sync against ScaiKey now: add, update and deactivate users; waits and prints the counts')
    .option('--tenant <slug>', 'sync only this tenant (default: every active tenant)')
    .addOption(new Option('--timeout <seconds>', 'give up waiting after this long').default(600).argParser(parseSeconds))
    .addOption(new Option('--json', 'print one JSON document to stdout instead of text'))
    .addHelpText(
      'after',
      '\nScaiKey is the source of truth: users it no longer lists as active are deactivated and their\n' +
        'API keys revoked (nothing is deleted), unless ScaiKey failed, sent a truncated listing, or lists\n' +
        'fewer active users than SCAIWAVE_IDENTITY_SYNC_MIN_PRESENT_PERCENT of those known here; then\n' +
        'nobody is deactivated and the reason is printed. Needs a running scaiwave-worker.\n' +
        'Every run is recorded in identity_sync_runs.\n' +
        EXIT_CODES_HELP,
    )
    .action(syncCommand);
}
