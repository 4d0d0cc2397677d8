import type { Db } from '../../lib/infra/db.js';
import type { SearchDocument } from '../../lib/search-index/search-index.js';
import type { SearchServices } from '../../lib/search-index/search-services.js';

// Brings the index in line with MariaDB for a set of messages: whatever the
// events said, each message is looked up as it is now, and is then indexed
// (posted, edited: embedded and upserted) or removed (deleted, tombstoned,
// gone). Events may come twice, late or out of order — the index ends the same.
// An upsert carries the text's time (SearchDocument.updatedAt), so a slow
// batch holding an older read cannot put back the text an edit replaced.
// Text goes from MariaDB to ScaiGrid to the index inside one call: it never
// passes through a workflow's history.

interface SyncOutcome {
  indexed: number;
  removed: number;
}

export async function syncMessages(db: Db, search: SearchServices, tenantId: string, messageIds: readonly string[]): Promise<SyncOutcome> {
  if (messageIds.length === 0) return { indexed: 0, removed: 0 };
  const rows = await db.waveMessage.findMany({
    where: { tenantId, id: { in: [...messageIds] } },
    select: { id: true, roomId: true, authorId: true, body: true, createdAt: true, editedAt: true, deletedAt: true, room: { select: { workspaceId: true } } },
  });
  const live = rows.filter((m): m is typeof m & { body: string } => m.deletedAt === null && m.body !== null && m.body.trim() !== '');
  const liveIds = new Set(live.map((m) => m.id));
  const gone = messageIds.filter((id) => !liveIds.has(id));
  const index = await search.index();
  if (live.length > 0) {
    const vectors = await search.embedder.embed(live.map((m) => m.body));
    const docs: SearchDocument[] = live.map((m, i) => ({
      messageId: m.id,
      tenantId,
      workspaceId: m.room.workspaceId,
      roomId: m.roomId,
      authorId: m.authorId,
      createdAt: m.createdAt,
      updatedAt: m.editedAt ?? m.createdAt,
      body: m.body,
      vector: Float32Array.from(vectors[i]!),
    }));
    await index.upsert(docs);
  }
  if (gone.length > 0) await index.remove(tenantId, gone);
  return { indexed: live.length, removed: gone.length };
}
