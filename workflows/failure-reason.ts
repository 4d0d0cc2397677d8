import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';

/** "TYPE: message" of what made an activity or child fail, for status rows and summaries (no payloads). */
export function failureReason(err: unknown): string {
  let cause = err;
  while (cause instanceof ActivityFailure || cause instanceof ChildWorkflowFailure) cause = cause.cause;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'ERROR'}: ${cause.message}`.slice(0, 1000);
  return (cause instanceof Error ? cause.message : 'unknown failure').slice(0, 1000);
}
