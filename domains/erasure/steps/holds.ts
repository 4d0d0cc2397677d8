import type { Db } from '../../../lib/infra/db.js';
import { holdsOnUser } from '../../holds/holds.js';
import { erasureOf } from '../batch.js';

/** The active legal holds on the user's data, under the id they had and the pseudonym they go by once their identity is erased. */
export async function holdsOnErasedUser(deps: { db: Db }, erasureId: string): Promise<string[]> {
  const e = await erasureOf(deps.db, erasureId);
  return holdsOnUser(deps.db, e.tenantId, [e.userId, e.pseudonymId]);
}
