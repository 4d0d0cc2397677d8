import type { Db } from '../../../lib/infra/db.js';
import { inBatch, type BatchOutcome } from '../batch.js';
import { REFERENCE_COLUMNS } from '../references.js';

/** Rows per statement: short locks on big tables (audit_log). */
const REFERENCE_BATCH = 5000;

/**
 * One statement's worth of one column rewritten to the pseudonym. The table
 * and column come from REFERENCE_COLUMNS, never from input. audit_log's paths
 * may name the user too (`/v1/admin/users/{id}`): rewritten with its rows.
 */
export async function pseudonymiseColumn(deps: { db: Db }, erasureId: string, batch: number, column: number): Promise<BatchOutcome> {
  const [table, col, blanked = []] = REFERENCE_COLUMNS[column]!;
  const set = [`\`${col}\` = ?`, ...blanked.map((c) => `\`${c}\` = NULL`)].join(', ');
  return inBatch(deps.db, erasureId, 'references', batch, async (tx, e) => {
    const n = await tx.$executeRawUnsafe(`UPDATE \`${table}\` SET ${set} WHERE \`${col}\` = ? LIMIT ${REFERENCE_BATCH}`, e.pseudonymId, e.userId);
    const paths =
      table === 'audit_log' && col === 'user_id'
        ? await tx.$executeRawUnsafe(`UPDATE audit_log SET path = REPLACE(path, ?, ?) WHERE LOCATE(?, path) > 0 LIMIT ${REFERENCE_BATCH}`, e.userId, e.pseudonymId, e.userId)
        : 0;
    return { removed: n + paths, more: n === REFERENCE_BATCH || paths === REFERENCE_BATCH, proof: { column: `${table}.${col}`, rows_rewritten: n, paths_rewritten: paths } };
  });
}
