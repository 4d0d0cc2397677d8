import { describeComplianceSchedule, removeComplianceSchedule, setComplianceSchedule, triggerComplianceSchedule } from '../../domains/export/compliance-schedule.js';
import { findTenantBySlug } from '../../lib/tenancy/tenants.js';
import { withDb, withTemporal } from '../connections.js';
import { formatTable, notFound, print, printJson } from '../support.js';

// What `scaiwave compliance …` does (arguments and help: commands/compliance.ts).

const DAY = 86_400;

async function tenantOf(slug: string): Promise<{ id: string; slug: string }> {
  return withDb(async ({ db }) => {
    const tenant = await findTenantBySlug(db, slug);
    if (!tenant) throw notFound(`tenant "${slug}" not found`);
    return { id: tenant.id, slug: tenant.slug };
  });
}

export async function scheduleCommand(opts: { tenant: string; every?: number; off?: boolean; json?: boolean }): Promise<void> {
  const tenant = await tenantOf(opts.tenant);
  const outcome = await withTemporal(async ({ client, config }) => {
    if (opts.off) return (await removeComplianceSchedule(client, tenant.id)) ? 'removed' : 'absent';
    return setComplianceSchedule(client, config, tenant, opts.every ?? DAY);
  });
  if (opts.json) return printJson({ tenant: tenant.slug, schedule: outcome, everySeconds: opts.off ? null : (opts.every ?? DAY) });
  print(
    opts.off
      ? `Compliance schedule of tenant "${tenant.slug}": ${outcome === 'removed' ? 'removed' : 'there was none'}.`
      : `Compliance schedule of tenant "${tenant.slug}" ${outcome}: every ${opts.every ?? DAY} s.`,
  );
}

export async function runCommand(opts: { tenant: string }): Promise<void> {
  const tenant = await tenantOf(opts.tenant);
  await withTemporal(async ({ client }) => {
    if (!(await describeComplianceSchedule(client, tenant.id))) throw notFound(`tenant "${tenant.slug}" has no compliance schedule (scaiwave compliance schedule --tenant ${tenant.slug})`);
    await triggerComplianceSchedule(client, tenant.id);
  });
  print(`Compliance export of tenant "${tenant.slug}" started; follow it with: scaiwave compliance runs --tenant ${tenant.slug}`);
}

export async function runsCommand(opts: { tenant: string; limit?: number; json?: boolean }): Promise<void> {
  const tenant = await tenantOf(opts.tenant);
  const runs = await withDb(({ db }) =>
    db.waveExport.findMany({ where: { tenantId: tenant.id, kind: 'scheduled' }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: opts.limit ?? 50 }),
  );
  const schedule = await withTemporal(({ client }) => describeComplianceSchedule(client, tenant.id));
  const rows = runs.map((r) => ({
    exportId: r.id,
    roomId: r.roomId,
    since: r.since?.toISOString() ?? null,
    until: r.until.toISOString(),
    status: r.status,
    messages: r.messagesTotal,
    bundleBytes: r.bundleBytes === null ? null : Number(r.bundleBytes),
    warnings: r.warnings,
    objectKey: r.status === 'completed' ? r.objectKey : null,
    error: r.error,
  }));
  if (opts.json) return printJson({ tenant: tenant.slug, schedule, runs: rows });
  print(
    schedule
      ? `Schedule: every ${schedule.everySeconds} s${schedule.paused ? ' (paused)' : ''}; next run ${schedule.nextRunAt?.toISOString() ?? '-'}`
      : 'Schedule: none (scaiwave compliance schedule --tenant …)',
  );
  print(
    ...formatTable(
      ['EXPORT', 'ROOM', 'SINCE', 'UNTIL', 'STATUS', 'MESSAGES', 'BYTES', 'WARNINGS'],
      rows.map((r) => [r.exportId, r.roomId, r.since ?? '(start)', r.until, r.status, String(r.messages), String(r.bundleBytes ?? '-'), String(r.warnings ?? '-')]),
    ),
  );
}
