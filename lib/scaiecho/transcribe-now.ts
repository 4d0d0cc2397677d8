import type { Logger } from '../logger.js';
import { AppError } from '../errors.js';
import type { SttBackends } from './backends.js';
import { BackendError } from './dispatch/errors.js';
import type { DispatchInput, TranscriptionResult } from './dispatch/types.js';
import { candidateOrder, type Backend, type BackendPreference, type TenantPolicy } from './policy.js';

export interface SyncBounds {
  /** For every backend tried together; past it the call in flight is cancelled and the caller gets 504. */
  timeoutMs: number;
  /** Aborted when the caller is gone: the call in flight is cancelled, nobody waits for its answer. */
  signal: AbortSignal;
}

/**
 * The sync path: try the tenant's candidates in order among those available,
 * falling through to the next when one fails, all within one time bound. Bad
 * audio stops at once: no backend will decode it. What a backend said goes to
 * the log; the caller reads a plain sentence.
 */
export async function transcribeNow(
  backends: SttBackends,
  policy: TenantPolicy,
  preference: BackendPreference,
  input: (signal: AbortSignal) => DispatchInput,
  logger: Logger,
  bounds: SyncBounds,
): Promise<{ backend: Backend; result: TranscriptionResult }> {
  const deadline = AbortSignal.timeout(bounds.timeoutMs);
  const signal = AbortSignal.any([deadline, bounds.signal]);
  const stopped = (): AppError =>
    deadline.aborted
      ? new AppError('UPSTREAM_TIMEOUT', `no transcript within ${bounds.timeoutMs / 1000} s; send the audio with force_async=true instead`)
      : new AppError('CLIENT_CLOSED_REQUEST', 'the client closed the request');

  const available = await backends.availability();
  const order = candidateOrder(policy, preference).filter((b) => available[b]);
  if (order.length === 0) {
    throw new AppError('BACKEND_UNAVAILABLE', `no allowed transcription backend is available (allowed: ${policy.allowedBackends})`);
  }
  let last: BackendError | undefined;
  for (const backend of order) {
    if (signal.aborted) throw stopped();
    try {
      const dispatcher = await backends.dispatcher(backend);
      return { backend, result: await dispatcher.transcribe(input(signal)) };
    } catch (err) {
      if (signal.aborted) {
        logger.warn({ backend, timedOut: deadline.aborted }, 'sync transcription cancelled');
        throw stopped();
      }
      if (!(err instanceof BackendError)) throw err;
      logger.warn({ backend, code: err.code, kind: err.kind, err: err.message }, 'transcription backend failed');
      if (err.code === 'AUDIO_UNDECODABLE') throw new AppError('AUDIO_UNDECODABLE', err.publicMessage);
      last = err;
    }
  }
  if (last?.code === 'AUDIO_TOO_LARGE') throw new AppError('PAYLOAD_TOO_LARGE', last.publicMessage);
  throw new AppError('BACKEND_UNAVAILABLE', `transcription failed on every backend tried (${last?.publicMessage ?? 'no answer'}); try again later`);
}
