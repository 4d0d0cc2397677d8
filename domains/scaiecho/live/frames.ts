import { z } from 'zod';
import { BACKEND_PREFERENCES } from '../policy.js';

// The live transcription protocol (seed 003's request flow), as frames on
// the socket. Client: {"type":"open", …} once, binary PCM frames, then
// {"type":"close"}. Server: ready, delta…, closed; or error, then the close.

export const openFrame = z
  .object({
    type: z.literal('open'),
    language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'a BCP 47 tag such as "en"' }).optional(),
    backend_preference: z.enum(BACKEND_PREFERENCES).optional(),
    encoding: z.literal('pcm_s16le').default('pcm_s16le'),
    sample_rate: z.number().int().min(8000).max(48_000).default(16_000),
  })
  .strict();
export type OpenFrame = z.infer<typeof openFrame>;

export const clientFrame = z.discriminatedUnion('type', [openFrame, z.object({ type: z.literal('close') }).strict()]);

/** Close codes in the private range: what ended a session, for a client to act on. */
export const CLOSE = {
  done: 1000,
  serverError: 1011,
  badFrame: 4400,
  forbidden: 4403,
  idle: 4408,
  tooLong: 4413,
  tooSlow: 4429,
  unavailable: 4503,
} as const;
