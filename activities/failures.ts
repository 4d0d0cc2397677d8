import { log } from '@temporalio/activity';
import { BatchNotApplied, MalformedUsageBatch } from '../lib/accounting/flush.js';
import { AppError } from '../lib/errors.js';
import { IdpError } from '../lib/identity/scim.js';
import { BackendError } from '../lib/scaiecho/dispatch/errors.js';
import { failure } from '../lib/temporal/failures.js';

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
