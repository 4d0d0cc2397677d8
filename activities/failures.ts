import { log } from '@temporalio/activity';
import { BatchNotApplied, MalformedUsageBatch } from '../lib/accounting/flush.js';
import { AppError } from '../lib/errors.js';
import { UnmappedUserError } from '../lib/export/import-users.js';
import { SeqTakenError } from '../lib/export/restore-messages.js';
import { BundleLayoutError } from '../lib/export/stored-bundle.js';
import { IdpError } from '../lib/identity/scim.js';
import { BackendError } from '../lib/scaiecho/dispatch/errors.js';
import { failure } from '../lib/temporal/failures.js';
import { ClamdUnavailableError } from '../lib/wave/clamd.js';

/**
 * The one mapping from a domain error to the failure Temporal sees: its type
 * from lib/temporal/failures.ts, retryable only when a retry can help.
 * Anything else passes through and is retried (a database or network blip).
 * A backend's message is the plain one, as job and speaker status reasons show
 * it to clients; what the backend said goes to the worker's log.
 */
export function toFailure(err: unknown): unknown {
  if (err instanceof BackendError) {
    log.warn('backend call failed', { backend: err.backend, code: err.code, kind: err.kind, detail: err.message });
    return failure(err.code, err.publicMessage, err.kind === 'transient');
  }
  if (err instanceof IdpError) return failure(err.permanent ? 'IDP_REJECTED' : 'IDP_UNAVAILABLE', err.message);
  if (err instanceof MalformedUsageBatch) return failure('USAGE_BATCH_MALFORMED', err.message);
  if (err instanceof BatchNotApplied) return failure('USAGE_BATCH_NOT_APPLIED', err.message);
  if (err instanceof AppError && (err.code === 'BUDGET_EXCEEDED' || err.code === 'BACKEND_UNAVAILABLE')) return failure(err.code, err.message);
  if (err instanceof ClamdUnavailableError) return failure('CLAMD_UNAVAILABLE', err.message);
  // A verified bundle that still does not restore: the detail may name a file of it, so the message is ours.
  if (err instanceof BundleLayoutError) return failure('IMPORT_BUNDLE_LAYOUT', 'the bundle is not laid out as ScaiWave writes bundles');
  if (err instanceof SeqTakenError) return failure('IMPORT_SEQ_TAKEN', 'a message of the bundle takes a sequence number a message posted here already has');
  if (err instanceof UnmappedUserError) return failure('IMPORT_USER_UNMAPPED', 'the bundle names a user its room.json does not list');
  return err;
}

/** Runs `work`, throwing what it throws as toFailure maps it. */
export async function asFailure<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toFailure(err);
  }
}
