import { log } from '@temporalio/activity';
import { AppError } from '../errors.js';
import { BackendError } from '../scaiinfer/stt/errors.js';
import { failure, NamedFailure } from './failures.js';
import { ClamdUnavailableError } from '../infra/clamd.js';

/**
 * The one mapping from a domain error to the failure Temporal sees: its type
 * from lib/failure-codes.ts, retryable only when a retry can help. A domain
 * error names its own failure (NamedFailure, lib/temporal/failures.ts); the
 * ground floor's errors (backends, clamd, budgets) are mapped here.
 * Anything else passes through and is retried (a database or network blip).
 * A backend's message is the plain one, as job and speaker status reasons show
 * it to clients; what the backend said goes to the worker's log.
 */
export function toFailure(err: unknown): unknown {
  if (err instanceof BackendError) {
    log.warn('backend call failed', { backend: err.backend, code: err.code, kind: err.kind, detail: err.message });
    return failure(err.code, err.publicMessage, err.kind === 'transient');
  }
  if (err instanceof NamedFailure) return failure(err.failureType, err.publicMessage);
  if (err instanceof AppError && (err.code === 'BUDGET_EXCEEDED' || err.code === 'BACKEND_UNAVAILABLE')) return failure(err.code, err.message);
  if (err instanceof ClamdUnavailableError) return failure('CLAMD_UNAVAILABLE', err.message);
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
