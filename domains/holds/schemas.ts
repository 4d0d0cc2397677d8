import { z } from 'zod';
import { HOLD_SCOPES } from './holds.js';

export const legalHold = z
  .object({
    hold_id: z.string(),
    scope: z.enum(HOLD_SCOPES),
    target_id: z.string().meta({ description: "the user's, the room's or the tenant's id" }),
    reason: z.string(),
    placed_by_id: z.string().nullable().meta({ description: 'null: an operator, through the CLI' }),
    placed_at: z.iso.datetime(),
    released_by_id: z.string().nullable(),
    released_at: z.iso.datetime().nullable(),
    active: z.boolean(),
  })
  .meta({ id: 'LegalHold' });
