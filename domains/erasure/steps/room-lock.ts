import { Prisma } from '../../../lib/generated/prisma/client.js';

/**
 * Every change to a room locks its row first (domains/wave/room-access.ts), so
 * its events reach the outbox in commit order; a batch that writes events in
 * several rooms locks them all, in id order so two batches never deadlock.
 */
export async function lockRooms(tx: Prisma.TransactionClient, roomIds: Iterable<string>): Promise<void> {
  const ids = [...new Set(roomIds)].sort();
  if (ids.length > 0) await tx.$queryRaw`SELECT id FROM wave_rooms WHERE id IN (${Prisma.join(ids)}) ORDER BY id FOR UPDATE`;
}
