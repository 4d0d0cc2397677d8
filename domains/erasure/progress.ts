import type { ErasureStore } from './batch.js';

/** Where an erasure is: its workflow's `progress` query, carried across continue-as-new, and the API's view of it. */
export interface UserErasureProgress {
  /** the store being erased now, or `completed` */
  phase: ErasureStore | 'completed';
  /** the next batch of that store */
  batch: number;
  /** for `references`: the column being rewritten (an index into REFERENCE_COLUMNS) */
  column: number;
  /** what each store removed so far: the receipts hold the same, with their proof */
  removed: Partial<Record<ErasureStore, number>>;
  /** the legal holds it waits on now (domains/holds/): none while it works */
  heldBy: string[];
}
