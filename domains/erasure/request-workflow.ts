import { condition, defineSignal, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { JobStatusKey } from '../../lib/temporal/search-attributes.js';
import type { ErasureRequestActivities } from './activities.js';

export interface ErasureRequestInput {
  requestId: string;
  /** ISO time the decision is due by (the request row's due_at) */
  dueAt: string;
}

/** Tells the request's workflow it was approved or rejected: its deadline no longer matters. */
export const erasureRequestDecidedSignal = defineSignal('erasureRequestDecided');

const steps = proxyActivities<ErasureRequestActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * `wave-erasure-request-{requestId}`: a user's own erasure request, from filing
 * to its deadline. The deadline is a durable timer in Temporal, so a worker
 * restarted (or down) while it runs changes nothing: when it passes with no
 * decision, the request is marked overdue and JobStatus reads `overdue`. A
 * decision ends the wait early. Ids and a time only in the history.
 */
export async function erasureRequestWorkflow(input: ErasureRequestInput): Promise<'decided' | 'overdue'> {
  let decided = false;
  setHandler(erasureRequestDecidedSignal, () => void (decided = true));
  // Workflow time is replayed from history, so the wait is the same on every replay.
  const untilDue = Math.max(1, Date.parse(input.dueAt) - Date.now());
  if (await condition(() => decided, untilDue)) return 'decided';
  if (!(await steps.markErasureRequestOverdue(input.requestId))) return 'decided';
  upsertSearchAttributes([{ key: JobStatusKey, value: 'overdue' }]);
  return 'overdue';
}
