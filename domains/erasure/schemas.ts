import { z } from 'zod';
import { ERASURE_STORES } from './batch.js';
import { ERASURE_MODES, ERASURE_STATUSES } from './erasures.js';
import { ERASURE_REQUEST_STATUSES } from './requests.js';

export const erasureReceipt = z
  .object({
    store: z.enum(ERASURE_STORES),
    removed: z.number().int().meta({ description: 'rows, objects, messages or fields removed or rewritten, over all batches' }),
    batches: z.number().int(),
    proof: z
      .array(z.record(z.string(), z.unknown()))
      .meta({ description: 'one entry per batch: ids, object keys, stream sequences, index removals; never content' }),
    recorded_at: z.iso.datetime().meta({ description: 'when the last batch was recorded' }),
  })
  .meta({ id: 'UserErasureReceipt' });

export const userErasure = z
  .object({
    erasure_id: z.string(),
    user_id: z.string().meta({ description: 'the erased user, as they were known' }),
    pseudonym_id: z.string().meta({ description: 'what every row that went on naming them names instead' }),
    mode: z.enum(ERASURE_MODES),
    status: z.enum(ERASURE_STATUSES),
    requested_by_id: z.string().nullable().meta({ description: 'the compliance officer; null: an operator, through the CLI' }),
    requested_at: z.iso.datetime(),
    completed_at: z.iso.datetime().nullable(),
    progress: z
      .object({
        phase: z.string(),
        batch: z.number().int(),
        removed: z.record(z.string(), z.number().int()),
        held_by: z.array(z.string()).meta({ description: 'legal holds it waits on before the next store: nothing is erased while any applies' }),
      })
      .nullable()
      .meta({ description: 'while running: the store being erased and what was removed so far (the workflow\'s `progress` query)' }),
    receipts: z.array(erasureReceipt).meta({ description: 'one per store erased so far; immutable' }),
    poll_url: z.string(),
  })
  .meta({ id: 'UserErasure' });

export const erasureRequest = z
  .object({
    request_id: z.string(),
    user_id: z.string().meta({ description: 'who asked to be erased' }),
    status: z.enum(ERASURE_REQUEST_STATUSES),
    requested_at: z.iso.datetime(),
    due_at: z.iso.datetime().meta({ description: 'the decision is due by then (SCAIWAVE_ERASURE_REQUEST_DEADLINE_SECONDS after the request)' }),
    overdue_at: z.iso.datetime().nullable().meta({ description: 'when the deadline passed undecided; null: not overdue' }),
    decided_by_id: z.string().nullable().meta({ description: 'the compliance officer who decided; null: undecided, or an operator through the CLI' }),
    decided_at: z.iso.datetime().nullable(),
    decision_note: z.string().nullable().meta({ description: 'the reason given with the decision (always, for a rejection)' }),
    erasure_id: z.string().nullable().meta({ description: 'the erasure an approval requested' }),
    erasure_url: z.string().nullable(),
  })
  .meta({ id: 'ErasureRequest' });
