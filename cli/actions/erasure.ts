import { startUserErasure, userErasureProgress } from '../../domains/erasure/client.js';
import { erasureView, findErasure, listErasures, receiptsOf, requestUserErasure, type ErasureMode } from '../../domains/erasure/erasures.js';
import { scanForTraces } from '../../domains/erasure/trace-scan/scan.js';
import { approveRequest, rejectRequest } from '../../domains/erasure/request-actions.js';
import { erasureRequestView, listErasureRequests } from '../../domains/erasure/requests.js';
import type { WaveUserErasure } from '../../lib/generated/prisma/client.js';
import type { Db } from '../../lib/infra/db.js';
import { connectNats } from '../../lib/infra/nats.js';
import { createS3 } from '../../lib/infra/s3.js';
import { requireTenant } from './admin/shared.js';
import { withDb, withTemporal } from '../connections.js';
import { CliError, EXIT, formatTable, print, printJson, usage } from '../support.js';

// What `scaiwave erasure …` does (arguments and help: commands/erasure.ts). The
// operator asks as the deployment (no requesting user); the work is the same
// workflow the API starts.

const tenantId = async (db: Db, slug: string): Promise<string> => (await requireTenant(db, slug)).id;

async function viewOf(db: Db, e: WaveUserErasure) {
  const receipts = await receiptsOf(db, e.id);
  const progress = await withTemporal(({ client, config }) => userErasureProgress({ temporal: client, config }, e));
  return erasureView(e, receipts, progress);
}

function printView(v: Awaited<ReturnType<typeof viewOf>>): void {
  print(
    `Erasure ${v.erasure_id} of user ${v.user_id} (now ${v.pseudonym_id}): ${v.status}, mode ${v.mode}`,
    `requested ${v.requested_at}${v.completed_at ? `, completed ${v.completed_at}` : ''}${v.progress ? `, now at ${v.progress.phase} batch ${v.progress.batch}` : ''}`,
    '',
    ...formatTable(
      ['store', 'removed', 'batches', 'recorded'],
      v.receipts.map((r) => [r.store, String(r.removed), String(r.batches), r.recorded_at]),
    ),
  );
}

export async function startCommand(opts: { tenant: string; user?: string; subject?: string; mode: ErasureMode; json?: boolean }): Promise<void> {
  if ((opts.user === undefined) === (opts.subject === undefined)) throw usage('give exactly one of --user and --subject');
  const view = await withDb(async ({ db, config }) => {
    const tenant = await tenantId(db, opts.tenant);
    const e = await requestUserErasure(db, { tenantId: tenant, userId: null }, opts.user !== undefined ? { userId: opts.user } : { scaikeySubject: opts.subject! }, opts.mode);
    await withTemporal(({ client }) => startUserErasure({ temporal: client, config }, e));
    return viewOf(db, e);
  });
  if (opts.json) return printJson(view);
  printView(view);
  print('', `Follow it with: scaiwave erasure status ${view.erasure_id} --tenant ${opts.tenant}`);
}

export async function statusCommand(erasureId: string, opts: { tenant: string; json?: boolean }): Promise<void> {
  const view = await withDb(async ({ db }) => viewOf(db, await findErasure(db, await tenantId(db, opts.tenant), erasureId)));
  if (opts.json) return printJson(view);
  printView(view);
}

export async function listCommand(opts: { tenant: string; limit?: number; requests?: boolean; overdue?: boolean; json?: boolean }): Promise<void> {
  if (opts.requests || opts.overdue) return listRequests({ ...opts, overdue: opts.overdue ?? false });
  const rows = await withDb(async ({ db }) => listErasures(db, await tenantId(db, opts.tenant), opts.limit ?? 50));
  const out = rows.map((e) => ({ erasureId: e.id, userId: e.userId, mode: e.mode, status: e.status, requestedAt: e.requestedAt.toISOString(), completedAt: e.completedAt?.toISOString() ?? null }));
  if (opts.json) return printJson({ tenant: opts.tenant, erasures: out });
  print(...formatTable(['erasure', 'user', 'mode', 'status', 'requested', 'completed'], out.map((e) => [e.erasureId, e.userId, e.mode, e.status, e.requestedAt, e.completedAt ?? '-'])));
}

export async function verifyCommand(erasureId: string, opts: { tenant: string; email?: string; subject?: string; phrase?: string[]; json?: boolean }): Promise<void> {
  const report = await withDb(async ({ db, config }) => {
    const e = await findErasure(db, await tenantId(db, opts.tenant), erasureId);
    const s3 = createS3(config);
    const nats = await connectNats(config, 'scaiwave-cli');
    try {
      return await withTemporal(({ client }) =>
        scanForTraces({ db, s3, nats: { get: () => nats }, temporal: client, config }, e, { email: opts.email, subject: opts.subject, phrases: opts.phrase }),
      );
    } finally {
      s3.destroy();
      await nats.close();
    }
  });
  if (opts.json) printJson(report);
  else {
    print(...formatTable(['store', 'read', 'hits', 'not read'], report.stores.map((s) => [s.store, String(s.read), String(s.hits.length), s.skipped.join('; ') || '-'])));
    for (const h of report.hits) print(`  ${h.store}: ${h.needle} in ${h.where}${h.count > 1 ? ` (${h.count} rows)` : ''}`);
    print('', report.hits.length === 0 ? `No trace of the user in any store.` : `${report.hits.length} traces found.`);
  }
  if (report.hits.length > 0) throw new CliError(EXIT.invalid, `erasure ${erasureId}: ${report.hits.length} traces of the user remain`);
}

/** Users' own erasure requests still pending (or only those past their deadline), soonest due first. */
async function listRequests(opts: { tenant: string; limit?: number; overdue: boolean; json?: boolean }): Promise<void> {
  const rows = await withDb(async ({ db }) =>
    listErasureRequests(db, await tenantId(db, opts.tenant), { status: 'pending', overdueOnly: opts.overdue, limit: opts.limit ?? 100 }),
  );
  const out = rows.map(erasureRequestView);
  if (opts.json) return printJson({ tenant: opts.tenant, requests: out });
  print(...formatTable(['request', 'user', 'requested', 'due', 'overdue since'], out.map((r) => [r.request_id, r.user_id, r.requested_at, r.due_at, r.overdue_at ?? '-'])));
}

function printRequest(r: ReturnType<typeof erasureRequestView>): void {
  print(
    `Erasure request ${r.request_id} of user ${r.user_id}: ${r.status}${r.decided_at ? ` ${r.decided_at}` : ''}${r.decision_note ? ` (${r.decision_note})` : ''}`,
    ...(r.erasure_id ? [`Follow the erasure with: scaiwave erasure status ${r.erasure_id}`] : []),
  );
}

export async function approveCommand(requestId: string, opts: { tenant: string; mode: ErasureMode; note?: string; json?: boolean }): Promise<void> {
  const request = await withDb(async ({ db, config }) => {
    const by = { tenantId: await tenantId(db, opts.tenant), userId: null };
    return withTemporal(async ({ client }) => (await approveRequest({ db, temporal: client, config }, by, requestId, { mode: opts.mode, note: opts.note })).request);
  });
  if (opts.json) return printJson(erasureRequestView(request));
  printRequest(erasureRequestView(request));
}

export async function rejectCommand(requestId: string, opts: { tenant: string; note: string; json?: boolean }): Promise<void> {
  const request = await withDb(async ({ db, config }) => {
    const by = { tenantId: await tenantId(db, opts.tenant), userId: null };
    return withTemporal(({ client }) => rejectRequest({ db, temporal: client, config }, by, requestId, opts.note));
  });
  if (opts.json) return printJson(erasureRequestView(request));
  printRequest(erasureRequestView(request));
}
