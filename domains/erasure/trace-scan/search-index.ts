import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../../lib/config.js';
import { tableName } from '../../../lib/search-index/lance-table.js';
import { found, type Needle, type StoreScan, type TraceHit } from './needles.js';

// The embedded index's files, every version the table still keeps: what a
// removal only marked deleted, or an old version not pruned, would still hold.
// (Its column files store text as it is.) A Weaviate deployment keeps its data
// on Weaviate's disks, which the scan cannot read: it says so.

export function scanSearchIndex(config: Config, tenantId: string, needles: readonly Needle[]): StoreScan {
  if (config.env.SCAIWAVE_WEAVIATE_URL) {
    return { store: 'search_index', read: 0, hits: [], skipped: ["Weaviate holds the index on its own disks: not readable from here"] };
  }
  const dir = path.join(config.env.SCAIWAVE_SEARCH_DIR, `${tableName(tenantId)}.lance`);
  const hits: TraceHit[] = [];
  let read = 0;
  if (fs.existsSync(dir)) {
    for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      read += 1;
      for (const n of found(fs.readFileSync(file), needles)) hits.push({ store: 'search_index', where: path.relative(config.env.SCAIWAVE_SEARCH_DIR, file), needle: n.label, count: 1 });
    }
  }
  return { store: 'search_index', read, hits, skipped: [] };
}
