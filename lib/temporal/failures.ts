import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/common';
import type { ScaiGridErrorCode } from '../scaigrid/errors.js';
import type { BackendErrorCode } from '../scaiecho/dispatch/errors.js';

// Every type an activity failure may carry, named once, in the API's
// UPPER_SNAKE spelling. Activities own non-retryability: they throw
// `failure(type, …)` where they know whether asking again can help, so
// workflow retry policies list no error types. Pure: workflows import it.

/** Whether a retry can help, by default, for each failure type. */
const RETRYABLE = {
  // Our own records: a retry finds the same row missing or in the same state.
  JOB_NOT_FOUND: false,
  AUDIO_MISSING: false,
  SPEAKER_NOT_FOUND: false,
  SPEAKER_ERASED: false,
  EMBEDDING_MISSING: false,
  ERASURE_NOT_FOUND: false,
  BUDGET_EXCEEDED: false,
  USAGE_BATCH_MALFORMED: false,
  USAGE_BATCH_NOT_APPLIED: false,
  MEDIA_NOT_FOUND: false,
  // A room import (activities/wave-import.ts): the bundle or the room will not change by asking again.
  IMPORT_NOT_FOUND: false,
  IMPORT_BUNDLE_LAYOUT: false,
  IMPORT_SEQ_TAKEN: false,
  IMPORT_USER_UNMAPPED: false,
  EXPORT_NOT_FOUND: false,
  // A media file changed between being hashed and being bundled: the export would contradict its manifest.
  EXPORT_SOURCE_CHANGED: false,
  // clamd down or answering nonsense: media waits, unservable, until it answers.
  CLAMD_UNAVAILABLE: true,
  // ScaiKey, for identity sync.
  IDP_NOT_CONFIGURED: false,
  IDP_REJECTED: false,
  IDP_UNAVAILABLE: true,
  // Nodes come and go: the registry may list one again soon.
  NODE_OFFLINE: true,
  NO_NODE_ONLINE: true,
  // A backend's own verdict (lib/scaiecho/dispatch/errors.ts); its error's kind may override the default.
  AUDIO_UNDECODABLE: false,
  AUDIO_TOO_LARGE: false,
  BACKEND_UNAVAILABLE: true,
  BACKEND_TIMEOUT: true,
  BACKEND_REJECTED: false,
  BACKEND_ERROR: true,
  // ScaiGrid's verdict on an embeddings call (lib/scaigrid/errors.ts), after the client's own retries.
  SCAIGRID_UNAUTHORIZED: false,
  SCAIGRID_MODEL_NOT_FOUND: false,
  SCAIGRID_TOO_LARGE: false,
  SCAIGRID_REJECTED: false,
  SCAIGRID_UNAVAILABLE: true,
  SCAIGRID_TIMEOUT: true,
  SCAIGRID_BAD_ANSWER: true,
} as const satisfies Record<string, boolean> & Record<BackendErrorCode, boolean> & Record<ScaiGridErrorCode, boolean>;

export type FailureType = keyof typeof RETRYABLE;

/** The failure an activity throws. The message is what status reasons show: ids and plain words, no personal data. */
export function failure(type: FailureType, message: string, retryable: boolean = RETRYABLE[type]): ApplicationFailure {
  return retryable ? ApplicationFailure.retryable(message, type) : ApplicationFailure.nonRetryable(message, type);
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
