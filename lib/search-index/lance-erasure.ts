import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Table } from '@lancedb/lancedb';
import { FTS_INDEX, ROOM_INDEX, VECTOR_INDEX, ftsIndex, hasIndex, roomIndex, sqlList, vectorIndex } from './lance-table.js';

// Physical removal from a LanceDB table. A LanceDB delete (and the replace an
// edit does) only marks rows deleted: the text stays in the fragment's data
// file, and in every older version, until something rewrites the fragment and
// prunes the versions. `optimize` prunes, but rewrites a fragment only once a
// tenth of its rows are deleted, so one erased message in a large fragment
// would stay on disk. So the removal step rewrites, itself:
//   1. every fragment holding a row to remove, and every fragment that holds
//      rows already marked deleted (the old text of edited messages: lance
//      keeps a deletion file per such fragment, `_deletions/<fragment>-…`);
//   2. in one merge-insert commit, those fragments' other rows are written
//      anew (which marks their old copies deleted, so each old fragment is
//      wholly deleted and leaves the table) and the removed rows are deleted;
//   3. the full-text and vector indices are built anew (optimize would leave
//      the removed rows' words and vectors in them), then `optimize` with a
//      cut-off of now deletes every older version with the files only they
//      used: old data files, deletion files and index files.
// A row another writer changed meanwhile keeps its new copy: the rewrite only
// replaces rows whose updated_at it read (a newer copy lives in a fragment
// written after the read). Unverified files (written by a transaction still
// under way elsewhere) are left alone, so concurrent writers stay safe.
// The cost is a rewrite of the affected fragments (after compaction, most of
// the tenant's table) and of both indices: seconds at 100k messages
// (bench/search-index.ts), which is why callers batch removals.

const DELETION_FILE = /^(\d+)-\d+-\d+\.(?:arrow|bin)$/;

/** Fragments with rows marked deleted, by lance's deletion files (old versions' files included: they cost a rewrite, never a miss). */
async function fragmentsWithDeletions(tableDir: string): Promise<Set<number>> {
  const names = await readdir(path.join(tableDir, '_deletions')).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  return new Set(names.flatMap((n) => DELETION_FILE.exec(n)?.[1] ?? []).map(Number));
}

/** A row id is the fragment id in the upper 32 bits and the row's offset in the lower ones. */
const fragmentOf = (rowId: bigint | number): number => Number(BigInt(rowId) >> 32n);

function inFragments(fragments: Iterable<number>): string {
  const ranges = [...fragments].map((f) => `(_rowid >= ${BigInt(f) << 32n} AND _rowid < ${BigInt(f + 1) << 32n})`);
  return `(${ranges.join(' OR ')})`;
}

/**
 * The indices keep the entries of rows whose fragments left the table (they are
 * only filtered out when read), words and vectors alike, and optimize does not
 * rewrite them for that: built anew, they hold only the rows that stay. A table
 * that fell below the size for a vector index loses it.
 */
async function rebuildIndices(table: Table, vectorIndexFromRows: number): Promise<void> {
  await table.createIndex('body', { config: ftsIndex(), name: FTS_INDEX, replace: true });
  await table.createIndex('room_id', { config: roomIndex(), name: ROOM_INDEX, replace: true });
  if (!(await hasIndex(table, VECTOR_INDEX))) return;
  if ((await table.countRows()) >= vectorIndexFromRows) await table.createIndex('vector', { config: vectorIndex(), name: VECTOR_INDEX, replace: true });
  else await table.dropIndex(VECTOR_INDEX);
}

export async function removePhysically(
  table: Table,
  tableDir: string,
  messageIds: readonly string[],
  vectorIndexFromRows: number,
): Promise<void> {
  const removing = messageIds.length > 0 ? `message_id IN (${sqlList(messageIds)})` : 'false';
  const fragments = await fragmentsWithDeletions(tableDir);
  const located = await table.query().where(removing).withRowId().select(['message_id']).toArray();
  for (const row of located as { _rowid: bigint }[]) fragments.add(fragmentOf(row._rowid));

  if (fragments.size > 0) {
    const keep = await table.query().where(`${inFragments(fragments)} AND NOT (${removing})`).toArrow();
    if (keep.numRows > 0) {
      await table
        .mergeInsert('message_id')
        .whenMatchedUpdateAll({ where: 'target.updated_at = source.updated_at' })
        .whenNotMatchedBySourceDelete({ where: removing })
        .execute(keep);
    } else {
      // Nothing else lives in those fragments: deleting the rows drops the fragments whole.
      await table.delete(removing);
    }
  }
  // Always: an edit that replaced every row of a fragment left no deletion file,
  // but its old words and vector may still sit in the indices.
  await rebuildIndices(table, vectorIndexFromRows);
  await table.optimize({ cleanupOlderThan: new Date(), deleteUnverified: false });
}
