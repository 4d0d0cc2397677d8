import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/common';
import { FAILURE_CODES, type WorkflowFailureCode } from '../failure-codes.js';

// Every type an activity failure may carry is named in lib/failure-codes.ts,
// beside the HTTP codes, in one vocabulary. Activities own non-retryability: they throw
// `failure(type, …)` where they know whether asking again can help, so
// workflow retry policies list no error types. Pure: workflows import it.

/** A workflow failure type: the codes of lib/failure-codes.ts that say whether a retry can help. */
export type FailureType = WorkflowFailureCode;

/** The failure an activity throws. The message is what status reasons show: ids and plain words, no personal data. */
export function failure(type: FailureType, message: string, retryable: boolean = FAILURE_CODES[type].retryable): ApplicationFailure {
  return retryable ? ApplicationFailure.retryable(message, type) : ApplicationFailure.nonRetryable(message, type);
}

/**
 * A domain error that names the failure Temporal sees when an activity throws
 * it (lib/temporal/activity-failures.ts applies it): a type of lib/failure-codes.ts
 * and the message status reasons show, which may say less than the detail the
 * error carries for the worker's log.
 */
export class NamedFailure extends Error {
  constructor(
    readonly failureType: FailureType,
    message: string,
    readonly publicMessage: string = message,
  ) {
    super(message);
  }
}

/** What made an activity or child fail, under the wrappers Temporal puts round it. */
function rootCause(err: unknown): unknown {
  let cause = err;
  while (cause instanceof ActivityFailure || cause instanceof ChildWorkflowFailure) cause = cause.cause;
  return cause;
}

/** The failure type an activity or child failed with, if it named one. */
export function failureType(err: unknown): string | undefined {
  const cause = rootCause(err);
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** "TYPE: message" of what made an activity or child fail, for status rows and summaries (no payloads). */
export function failureReason(err: unknown): string {
  const cause = rootCause(err);
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'ERROR'}: ${cause.message}`.slice(0, 1000);
  return (cause instanceof Error ? cause.message : 'unknown failure').slice(0, 1000);
}
