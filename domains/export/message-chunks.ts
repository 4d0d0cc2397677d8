import { gzipSync } from 'node:zlib';
import type { SqlPool } from '../../lib/infra/db.js';
import { SECTION } from './export-files.js';
import { messageChunkPath } from './format.js';
import { readMessagePage, type ExportRange, type MessageCursor } from './message-records.js';
import { stageFile, type StagingTarget } from './staging.js';

// Messages go into the bundle in chunks of at most CHUNK_MESSAGES, each one
// gzip'd JSON Lines file staged on its own. A chunk is the unit of resumption:
// one cut short by a crash is written again from the same cursor, to the same
// key, so the staged result holds each message exactly once. Memory is one
// chunk, whatever the room's size.

const CHUNK_MESSAGES = 10_000;
const PAGE = 1000;

interface ChunkOutcome {
  /** where the next chunk starts; null: the range is done */
  last: MessageCursor | null;
  messages: number;
}

export async function writeMessageChunk(sql: SqlPool, t: StagingTarget, range: ExportRange, n: number, after: MessageCursor | null): Promise<ChunkOutcome> {
  const lines: string[] = [];
  const counts = { messages: 0, revisions: 0, tombstones: 0, reactions: 0 };
  let cursor = after;
  while (counts.messages < CHUNK_MESSAGES) {
    const page = await readMessagePage(sql, range, cursor, Math.min(PAGE, CHUNK_MESSAGES - counts.messages));
    if (!page.last) break;
    for (const r of page.records) {
      lines.push(JSON.stringify(r));
      counts.messages++;
      counts.revisions += r.revisions.length;
      counts.reactions += r.reactions.length;
      if (r.deleted) counts.tombstones++;
    }
    cursor = page.last;
  }
  if (counts.messages === 0) return { last: null, messages: 0 };
  lines.push('');
  await stageFile(t, { section: SECTION.messages, idx: n, path: messageChunkPath(n), counts }, gzipSync(lines.join('\n'), { level: 6 }));
  return { last: counts.messages < CHUNK_MESSAGES ? null : cursor, messages: counts.messages };
}
