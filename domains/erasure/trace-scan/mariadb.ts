import type { Db } from '../../../lib/infra/db.js';
import { ERASURE_RECORD_TABLES } from '../references.js';
import type { Needle, StoreScan, TraceHit } from './needles.js';

// Every text-holding column of every table, one full read per table: each
// column counted for each needle at once. The erasure's own record is left out
// on purpose (it names the user it erased: the proof), and the migrator's
// bookkeeping has no user data; the report says which were left out.

const TEXT_TYPES = ['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'json', 'binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'enum', 'set'];
const LEFT_OUT: readonly string[] = [...ERASURE_RECORD_TABLES, '_prisma_migrations'];
const ident = (name: string) => `\`${name.replaceAll('`', '``')}\``;

export async function scanMariadb(db: Db, needles: readonly Needle[]): Promise<StoreScan> {
  const columns = await db.$queryRawUnsafe<{ t: string; c: string }[]>(
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS
     WHERE TABLE_SCHEMA = DATABASE() AND DATA_TYPE IN (${TEXT_TYPES.map(() => '?').join(', ')})
     ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    ...TEXT_TYPES,
  );
  const byTable = new Map<string, string[]>();
  for (const { t, c } of columns) if (!LEFT_OUT.includes(t)) byTable.set(t, [...(byTable.get(t) ?? []), c]);
  const hits: TraceHit[] = [];
  for (const [table, cols] of byTable) {
    const sums = cols.flatMap((c) => needles.map(() => `SUM(LOCATE(?, ${ident(c)}) > 0)`));
    const args = cols.flatMap(() => needles.map((n) => n.bytes.toString('utf8')));
    const [row] = await db.$queryRawUnsafe<Record<string, unknown>[]>(`SELECT ${sums.map((s, i) => `${s} AS h${i}`).join(', ')} FROM ${ident(table)}`, ...args);
    cols.forEach((c, ci) =>
      needles.forEach((n, ni) => {
        const count = Number(row?.[`h${ci * needles.length + ni}`] ?? 0);
        if (count > 0) hits.push({ store: 'mariadb', where: `${table}.${c}`, needle: n.label, count });
      }),
    );
  }
  const skipped = [...ERASURE_RECORD_TABLES.map((t) => `${t}: the erasure's record, kept by design`), '_prisma_migrations: schema bookkeeping'];
  return { store: 'mariadb', read: byTable.size, hits, skipped };
}
