import { AppError } from '../../lib/errors.js';
import type { Db, SqlPool } from '../../lib/infra/db.js';
import { waveRoomsStream } from './events.js';
import { prunedThroughSeq } from './sql.js';

// The outbox is also the log clients sync from (event-log.ts), so its rows
// outlive their publish; they go when the stream forgets them too
// (waveRoomsStream.maxAgeMs). Per tenant, the prune first raises the tenant's
// horizon (wave_event_horizons) to the newest sequence it will delete, then
// deletes every row at or below it. A cursor below the horizon asks for events
// that may be gone, and is answered CURSOR_EXPIRED rather than with a silent
// gap: the client starts over from the current cursor and reloads its rooms.
// A retry after a crash reads the stored horizon and finishes the deletes.

/** Events older than this leave the log: what the stream keeps, clients can read. */
export const EVENT_LOG_RETENTION_MS = waveRoomsStream.maxAgeMs;

const DELETE_BATCH = 1000;

export const eventLogCutoff = (now: Date): Date => new Date(now.getTime() - EVENT_LOG_RETENTION_MS);

/** Deletes the tenant's relayed events committed before `cutoff`; answers how many went. */
export async function pruneEventLog(db: Db, tenantId: string, cutoff: Date, onBatch?: (deleted: number) => void): Promise<number> {
  const newest = await db.waveOutbox.aggregate({
    where: { tenantId, streamSeq: { not: null }, createdAt: { lt: cutoff } },
    _max: { streamSeq: true },
  });
  const through = newest._max.streamSeq;
  if (through !== null) {
    await db.$executeRaw`
      INSERT INTO wave_event_horizons (tenant_id, pruned_through_seq) VALUES (${tenantId}, ${through})
      ON DUPLICATE KEY UPDATE pruned_through_seq = GREATEST(pruned_through_seq, VALUES(pruned_through_seq)), pruned_at = NOW(3)`;
  }
  const horizon = await db.waveEventHorizon.findUnique({ where: { tenantId } });
  if (!horizon) return 0;
  let deleted = 0;
  for (;;) {
    const n = await db.$executeRaw`
      DELETE FROM wave_outbox WHERE tenant_id = ${tenantId} AND stream_seq <= ${horizon.prunedThroughSeq} LIMIT ${DELETE_BATCH}`;
    deleted += n;
    onBatch?.(deleted);
    if (n < DELETE_BATCH) return deleted;
  }
}

/** Refuses a cursor older than what the tenant's log still holds (long-polls that read the log and socket upgrades ask: through the driver). */
export async function assertCursorRetained(sql: SqlPool, tenantId: string, cursor: bigint): Promise<void> {
  const horizon = await prunedThroughSeq(sql, tenantId);
  if (horizon !== undefined && cursor < horizon) {
    throw new AppError(
      'CURSOR_EXPIRED',
      'events after this cursor are no longer kept; sync again without a cursor and reload the rooms',
    );
  }
}
