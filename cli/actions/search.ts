import { startReindex } from '../../domains/search/client.js';
import { findTenantBySlug } from '../../lib/tenancy/tenants.js';
import { reindexProgressQuery, type ReindexProgress } from '../../domains/search/workflows/reindex.js';
import { withDb, withTemporal } from '../connections.js';
import { notFound, print, printJson } from '../support.js';

// What `scaiwave search reindex` does (arguments and help: commands/search.ts):
// starts (or joins) the reindex workflow, draws its progress on stderr while it
// runs, and prints the outcome on stdout.

const PROGRESS_EVERY_MS = 500;
const BAR = 30;

const n = (v: number): string => v.toLocaleString('en-US');

/** `[#########.....]  1,200/4,000 messages  30%  850/s`: one line, redrawn in place on a terminal. */
function progressLine(p: ReindexProgress, now: number): string {
  const total = Math.max(p.total, p.done);
  const share = total === 0 ? 1 : p.done / total;
  const filled = Math.round(share * BAR);
  const seconds = Math.max((now - p.startedAt) / 1000, 0.001);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${n(p.done)}/${n(total)} messages  ${Math.floor(share * 100)}%  ${n(Math.round(p.done / seconds))}/s`;
}

export async function reindexCommand(opts: { tenant: string; room?: string; json?: boolean }): Promise<void> {
  const scope = await withDb(async ({ db }) => {
    const tenant = await findTenantBySlug(db, opts.tenant);
    if (!tenant) throw notFound(`tenant "${opts.tenant}" not found`);
    if (opts.room && !(await db.waveRoom.findFirst({ where: { id: opts.room, tenantId: tenant.id }, select: { id: true } }))) {
      throw notFound(`room "${opts.room}" not found in tenant "${opts.tenant}"`);
    }
    return { tenantId: tenant.id, roomId: opts.room };
  });
  const outcome = await withTemporal(async ({ client, config }) => {
    const handle = await startReindex({ temporal: client, config }, scope);
    const tty = process.stderr.isTTY;
    const draw = async () => {
      const p = await handle.query(reindexProgressQuery).catch(() => undefined);
      if (p) process.stderr.write(tty ? `\r${progressLine(p, Date.now())}` : `${progressLine(p, Date.now())}\n`);
    };
    const timer = setInterval(() => void draw(), PROGRESS_EVERY_MS);
    try {
      const done = await handle.result();
      // The last state whatever the timer caught: a small scope finishes before its first tick.
      process.stderr.write(`${tty ? '\r' : ''}${progressLine(done, Date.now())}\n`);
      return done;
    } finally {
      clearInterval(timer);
    }
  });
  if (opts.json) return printJson({ tenant: opts.tenant, room: opts.room ?? null, ...outcome });
  print(
    `Reindexed ${n(outcome.done)} messages of tenant "${opts.tenant}"${opts.room ? ` room ${opts.room}` : ''}: ${n(outcome.indexed)} indexed, ${n(outcome.removed)} removed (deleted).`,
  );
}
