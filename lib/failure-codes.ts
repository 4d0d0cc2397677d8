
// Every code a caller or an operator may see, named once, in UPPER_SNAKE.
// A code with a `status` is an HTTP answer (lib/errors.ts: ErrorCode, and the
// OpenAPI document lists them by it); a code with `retryable` is a workflow
// failure type (lib/temporal/failures.ts: FailureType, and whether a retry can
// help by default). A code may be both: a job that fails BUDGET_EXCEEDED in a
// workflow is the 402 a sync call answers. Pure: workflows import it.

export const FAILURE_CODES = {
  VALIDATION_ERROR: { status: 400 },
  INVALID_JSON: { status: 400 },
  // A backend's own verdict (lib/scaiinfer/stt/errors.ts), and the sync call's answer to it.
  AUDIO_UNDECODABLE: { status: 400, retryable: false },
  UNAUTHORIZED: { status: 401 },
  BUDGET_EXCEEDED: { status: 402, retryable: false },
  FORBIDDEN: { status: 403 },
  NOT_FOUND: { status: 404 },
  METHOD_NOT_ALLOWED: { status: 405 },
  CONFLICT: { status: 409 },
  // Idempotency-Key (lib/http/idempotency.ts): the first request with the key is still running.
  IDEMPOTENCY_KEY_IN_USE: { status: 409 },
  CURSOR_EXPIRED: { status: 410 },
  // A live transcription socket that went quiet, or streamed past its limit (domains/scaiecho/live/).
  STREAM_IDLE_TIMEOUT: { status: 408 },
  PAYLOAD_TOO_LARGE: { status: 413 },
  STREAM_TOO_LONG: { status: 413 },
  AUDIO_TOO_LONG: { status: 413 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415 },
  UNPROCESSABLE_ENTITY: { status: 422 },
  // A webhook endpoint's URL (domains/webhooks/address-guard.ts): not http(s), or resolving to an address deliveries may not reach.
  WEBHOOK_URL_INVALID: { status: 400 },
  WEBHOOK_URL_FORBIDDEN: { status: 400 },
  WEBHOOK_URL_UNRESOLVABLE: { status: 400 },
  // The key was sent before with another request.
  IDEMPOTENCY_KEY_REUSED: { status: 422 },
  // A room bundle refused before anything of it is stored (domains/export/import-trust.ts).
  IMPORT_BUNDLE_INVALID: { status: 422 },
  IMPORT_SIGNATURE_INVALID: { status: 422 },
  IMPORT_UNTRUSTED_SIGNER: { status: 422 },
  IMPORT_TENANT_MISMATCH: { status: 422 },
  RATE_LIMITED: { status: 429 },
  // nginx's convention: nobody reads this answer, but logs and metrics must not count it as our failure.
  CLIENT_CLOSED_REQUEST: { status: 499 },
  INTERNAL_ERROR: { status: 500 },
  SERVICE_DRAINING: { status: 503 },
  SERVICE_UNAVAILABLE: { status: 503 },
  BACKEND_UNAVAILABLE: { status: 503, retryable: true },
  UPSTREAM_TIMEOUT: { status: 504 },

  // Our own records: a retry finds the same row missing or in the same state.
  JOB_NOT_FOUND: { retryable: false },
  // A job being deleted is cancelled first; its row says so once its workflow has wound down.
  JOB_STILL_RUNNING: { retryable: true },
  AUDIO_MISSING: { retryable: false },
  SPEAKER_NOT_FOUND: { retryable: false },
  SPEAKER_ERASED: { retryable: false },
  EMBEDDING_MISSING: { retryable: false },
  ERASURE_NOT_FOUND: { retryable: false },
  // A user's erasure waits for work another workflow is finishing: a job being cancelled, a speaker's erasure.
  ERASURE_WAITING: { retryable: true },
  USAGE_BATCH_MALFORMED: { retryable: false },
  USAGE_BATCH_NOT_APPLIED: { retryable: false },
  MEDIA_NOT_FOUND: { retryable: false },
  // A room import (domains/export/activities/import.ts): the bundle or the room will not change by asking again.
  IMPORT_NOT_FOUND: { retryable: false },
  IMPORT_BUNDLE_LAYOUT: { retryable: false },
  IMPORT_SEQ_TAKEN: { retryable: false },
  IMPORT_USER_UNMAPPED: { retryable: false },
  EXPORT_NOT_FOUND: { retryable: false },
  // A media file changed between being hashed and being bundled: the export would contradict its manifest.
  EXPORT_SOURCE_CHANGED: { retryable: false },
  // clamd down or answering nonsense: media waits, unservable, until it answers.
  CLAMD_UNAVAILABLE: { retryable: true },
  // ScaiKey, for identity sync.
  IDP_NOT_CONFIGURED: { retryable: false },
  IDP_REJECTED: { retryable: false },
  IDP_UNAVAILABLE: { retryable: true },
  // Nodes come and go: the registry may list one again soon.
  NODE_OFFLINE: { retryable: true },
  NO_NODE_ONLINE: { retryable: true },
  // The rest of a backend's verdicts; its error's kind may override the default.
  AUDIO_TOO_LARGE: { retryable: false },
  BACKEND_TIMEOUT: { retryable: true },
  BACKEND_REJECTED: { retryable: false },
  BACKEND_ERROR: { retryable: true },
  // ScaiGrid's verdict on an embeddings call (lib/scaigrid/errors.ts), after the client's own retries.
  SCAIGRID_UNAUTHORIZED: { retryable: false },
  SCAIGRID_MODEL_NOT_FOUND: { retryable: false },
  SCAIGRID_TOO_LARGE: { retryable: false },
  SCAIGRID_REJECTED: { retryable: false },
  SCAIGRID_UNAVAILABLE: { retryable: true },
  SCAIGRID_TIMEOUT: { retryable: true },
  SCAIGRID_BAD_ANSWER: { retryable: true },
} as const satisfies Record<string, { status: number; retryable?: boolean } | { retryable: boolean }> &
  Record<BackendErrorCode | ScaiGridErrorCode, { retryable: boolean; status?: number }>;

type Codes = typeof FAILURE_CODES;
/** The codes whose entry has `field`. */
type CodesWith<F extends string> = { [K in keyof Codes]: Codes[K] extends Record<F, unknown> ? K : never }[keyof Codes];

export type HttpCode = CodesWith<'status'>;
export type WorkflowFailureCode = CodesWith<'retryable'>;

/** A speech backend's verdict on a call (lib/scaiinfer/stt/errors.ts classifies what a backend answers). */
export type BackendErrorCode =
  /** The backend cannot read the audio. */
  | 'AUDIO_UNDECODABLE'
  /** The audio is over the backend's size limit. */
  | 'AUDIO_TOO_LARGE'
  /** Not reachable, overloaded, or failing for now. */
  | 'BACKEND_UNAVAILABLE'
  /** No answer within the deadline. */
  | 'BACKEND_TIMEOUT'
  /** The backend refuses us: credentials or configuration are wrong. */
  | 'BACKEND_REJECTED'
  /** The backend failed in a way it does not explain, or broke the protocol. */
  | 'BACKEND_ERROR';

/** ScaiGrid's verdict on an embeddings call (lib/scaigrid/errors.ts classifies what it answers). */
export type ScaiGridErrorCode =
  /** The credential is missing, unknown, revoked or not allowed this model. */
  | 'SCAIGRID_UNAUTHORIZED'
  /** ScaiGrid serves no model by that name (SCAIWAVE_AI_EMBEDDING_MODEL is wrong). */
  | 'SCAIGRID_MODEL_NOT_FOUND'
  /** Too many inputs in one request, or an input longer than the model takes. */
  | 'SCAIGRID_TOO_LARGE'
  /** Any other refusal of the request itself: it stays wrong however often it is sent. */
  | 'SCAIGRID_REJECTED'
  /** Unreachable, overloaded (429) or failing (5xx), still after the client's retries. */
  | 'SCAIGRID_UNAVAILABLE'
  /** No answer within the per-request timeout, still after the client's retries. */
  | 'SCAIGRID_TIMEOUT'
  /** A 2xx answer that breaks the protocol (missing vectors, wrong indexes, mixed widths). */
  | 'SCAIGRID_BAD_ANSWER';

