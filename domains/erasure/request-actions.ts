import type { Db } from '../../lib/infra/db.js';
import type { Starter } from '../../lib/temporal/starter.js';
import type { WaveErasureRequest, WaveUserErasure } from '../../lib/generated/prisma/client.js';
import { announceErasureRequestDecided, startErasureRequest, startUserErasure } from './client.js';
import type { ErasureMode } from './erasures.js';
import { approveErasureRequest, fileErasureRequest, rejectErasureRequest } from './requests.js';

// What filing and deciding an erasure request does beyond its row, for the API
// and the CLI alike: the deadline's workflow starts with the request, an
// approval starts the erasure, and a decision stops the deadline. Each is safe
// to ask again (a retry after a crash finishes what the first left).

type Deps = Starter & { db: Db };

export async function fileRequest(deps: Deps, user: { tenantId: string; userId: string }): Promise<{ request: WaveErasureRequest; filed: boolean }> {
  const out = await fileErasureRequest(deps.db, user, deps.config.env.SCAIWAVE_ERASURE_REQUEST_DEADLINE_SECONDS);
  await startErasureRequest(deps, out.request);
  return out;
}

export async function approveRequest(
  deps: Deps,
  by: { tenantId: string; userId: string | null },
  requestId: string,
  decision: { mode: ErasureMode; note?: string },
): Promise<{ request: WaveErasureRequest; erasure: WaveUserErasure }> {
  const out = await approveErasureRequest(deps.db, by, requestId, decision);
  await startUserErasure(deps, out.erasure);
  await announceErasureRequestDecided(deps, requestId);
  return out;
}

export async function rejectRequest(deps: Deps, by: { tenantId: string; userId: string | null }, requestId: string, note: string): Promise<WaveErasureRequest> {
  const request = await rejectErasureRequest(deps.db, by, requestId, note);
  await announceErasureRequestDecided(deps, requestId);
  return request;
}
