import type { Caller } from '../lib/auth/caller-identity.js';
import type { Db } from '../lib/infra/db.js';

/** One row per decode asked for, whatever it opened: who, when, where, how much, under which keys. */
export async function auditDecode(
  db: Db,
  caller: Caller,
  what: { namespace: string; payloads: number; decoded: number; keyIds: string[] },
): Promise<void> {
  await db.payloadDecodeAudit.create({
    data: { tenantId: caller.tenantId, userId: caller.userId, via: caller.via, namespace: what.namespace, payloads: what.payloads, decoded: what.decoded, keyIds: what.keyIds },
  });
}
