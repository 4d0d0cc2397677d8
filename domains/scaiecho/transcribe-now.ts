import type { Logger } from '../../lib/infra/logger.js';
import { AppError } from '../../lib/errors.js';
import type { SttBackends } from './backends.js';
import { BackendError } from '../../lib/scaiinfer/stt/errors.js';
import type { DispatchInput, TranscriptionResult } from '../../lib/scaiinfer/stt/types.js';
import { nextBackendMayHelp } from './failover.js';
import { backendsToTry, type Backend, type BackendPreference, type TenantPolicy } from './policy.js';

interface SyncBounds {
  /** For every backend tried together; past it the call in flight is cancelled and the caller gets 504. */
  timeoutMs: number;
  /** Aborted when the caller is gone: the call in flight is cancelled, nobody waits for its answer. */
  signal: AbortSignal;
}

/**
 * The sync path: try the tenant's candidates in order among those available,
 * moving on to the next when one fails (failover.ts), all within one time
 * bound. Bad audio stops at once: no backend will decode it. What a backend said goes to
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

  const order = backendsToTry(policy, preference, await backends.availability());
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
      // What no other backend can help with (audio none can decode) is the caller's to fix.
      if (!nextBackendMayHelp(err.code)) throw new AppError('AUDIO_UNDECODABLE', err.publicMessage);
      last = err;
    }
  }
  if (last?.code === 'AUDIO_TOO_LARGE') throw new AppError('PAYLOAD_TOO_LARGE', last.publicMessage);
  throw new AppError('BACKEND_UNAVAILABLE', `transcription failed on every backend tried (${last?.publicMessage ?? 'no answer'}); try again later`);
}
