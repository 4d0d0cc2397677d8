import { z } from 'zod';
import type { EventBatch } from './event-log.js';
import { WAVE_EVENT_TYPES } from './events.js';
import { message, messageView } from './schemas.js';

const waveEvent = z
  .object({
    id: z.string(),
    cursor: z.string().meta({ description: 'resume after this event with since=cursor' }),
    type: z.enum(WAVE_EVENT_TYPES),
    tenantId: z.string(),
    roomId: z.string(),
    actorId: z.string(),
    at: z.iso.datetime(),
    messageId: z.string().optional(),
    seq: z.string().optional(),
    userId: z.string().optional(),
    role: z.string().optional(),
    emoji: z.string().optional(),
    mediaId: z.string().optional(),
  })
  .meta({ id: 'WaveEvent' });

export const eventBatch = z
  .object({
    events: z.array(waveEvent).meta({ description: 'oldest first' }),
    messages: z.array(message).meta({ description: 'the messages the events name, as they are now' }),
    cursor: z.string(),
  })
  .meta({ id: 'WaveEventBatch' });

export const eventBatchView = (b: Omit<EventBatch, 'rooms'>): z.input<typeof eventBatch> => ({
  events: b.events,
  messages: b.messages.map((m) => messageView(m)),
  cursor: b.cursor,
});
