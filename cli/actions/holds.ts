import { announceHoldReleased } from '../../domains/holds/client.js';
import { holdView, listHolds, placeHold, releaseHold, type HoldScope } from '../../domains/holds/holds.js';
import type { Db } from '../../lib/infra/db.js';
import { requireTenant } from './admin/shared.js';
import { withDb, withTemporal } from '../connections.js';
import { formatTable, print, printJson } from '../support.js';

// What `scaiwave hold …` does (arguments and help: commands/holds.ts). The
// operator acts as the deployment: the hold records no user.

const tenantId = async (db: Db, slug: string): Promise<string> => (await requireTenant(db, slug)).id;

const line = (h: ReturnType<typeof holdView>): string[] => [h.hold_id, h.scope, h.target_id, h.placed_at, h.released_at ?? '-', h.reason];

export async function placeCommand(opts: { tenant: string; scope: HoldScope; target?: string; reason: string; json?: boolean }): Promise<void> {
  const hold = await withDb(async ({ db }) => placeHold(db, { tenantId: await tenantId(db, opts.tenant), userId: null }, { scope: opts.scope, targetId: opts.target, reason: opts.reason }));
  if (opts.json) return printJson(holdView(hold));
  print(`Hold ${hold.id} placed on ${hold.scope} ${hold.targetId}.`);
}

export async function releaseCommand(holdId: string, opts: { tenant: string; json?: boolean }): Promise<void> {
  const hold = await withDb(async ({ db }) => {
    const tenant = await tenantId(db, opts.tenant);
    const released = await releaseHold(db, { tenantId: tenant, userId: null }, holdId);
    await withTemporal(({ client, config }) => announceHoldReleased({ temporal: client, config }, tenant));
    return released;
  });
  if (opts.json) return printJson(holdView(hold));
  print(`Hold ${hold.id} released at ${hold.releasedAt!.toISOString()}.`);
}

export async function listCommand(opts: { tenant: string; all?: boolean; json?: boolean }): Promise<void> {
  const holds = await withDb(async ({ db }) => listHolds(db, await tenantId(db, opts.tenant), { activeOnly: !opts.all, limit: 1000 }));
  if (opts.json) return printJson({ tenant: opts.tenant, holds: holds.map(holdView) });
  print(...formatTable(['hold', 'scope', 'target', 'placed', 'released', 'reason'], holds.map((h) => line(holdView(h)))));
}
