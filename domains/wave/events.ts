import type { StreamSpec } from '../../lib/events/jetstream.js';

// Room events as they travel: on JetStream and to clients (sync, WebSocket).
// Ids and metadata only, never message text or file names: the stream keeps
// events for weeks and cannot forget one message's words when its author
// deletes it or is erased, so readers fetch content from MariaDB, which can.

export const WAVE_EVENT_TYPES = [
  'room.created',
  'room.archived',
  'member.joined',
  'member.left',
  'member.invited',
  'member.removed',
  'member.role_changed',
  'message.posted',
  'message.edited',
  'message.deleted',
  'reaction.added',
  'reaction.removed',
  'media.clean',
] as const;
export type WaveEventType = (typeof WAVE_EVENT_TYPES)[number];

export interface WaveEvent {
  /** also the JetStream message id, so a publish repeated after a crash is stored once */
  id: string;
  type: WaveEventType;
  tenantId: string;
  roomId: string;
  actorId: string;
  at: string;
  messageId?: string;
  /** the message's per-room sequence number */
  seq?: string;
  userId?: string;
  role?: string;
  emoji?: string;
  mediaId?: string;
}

export const waveRoomsStream: StreamSpec = {
  name: 'WAVE_ROOMS',
  subjects: ['wave.>'],
  maxAgeMs: 30 * 24 * 3600 * 1000,
  // The relay republishes what it could not mark as published; a day covers any outage it survives.
  duplicateWindowMs: 24 * 3600 * 1000,
};

/** `wave.{tenantId}.rooms.{roomId}.{event}`, before the deployment's prefix (lib/infra/nats.ts). */
export function roomSubject(tenantId: string, roomId: string, type: WaveEventType): string {
  return `wave.${tenantId}.rooms.${roomId}.${type}`;
}
