import { status as GrpcStatus } from '@grpc/grpc-js';
import type { BackendErrorCode } from '../../failure-codes.js';
import type { BackendId } from './types.js';

// Every way a backend call can fail, sorted by the one question a caller has:
// is it worth trying again (transient), or will the same request fail the same
// way (permanent)? The worker maps kind onto Temporal's non-retryable errors.

export type BackendErrorKind = 'transient' | 'permanent';

export class BackendError extends Error {
  override readonly name = 'BackendError';

  constructor(
    readonly kind: BackendErrorKind,
    readonly code: BackendErrorCode,
    message: string,
    readonly backend: BackendId,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** What a client may read: the message itself quotes the backend, which is for our logs only. */
  get publicMessage(): string {
    return PUBLIC_MESSAGE[this.code];
  }
}

// Said of any backend, a ScaiInfer node or the relay, for transcription or diarization alike.
const PUBLIC_MESSAGE: Record<BackendErrorCode, string> = {
  AUDIO_UNDECODABLE: 'the audio could not be decoded',
  AUDIO_TOO_LARGE: 'the audio is larger than the backend accepts',
  BACKEND_UNAVAILABLE: 'the backend is unavailable',
  BACKEND_TIMEOUT: 'the backend did not answer in time',
  BACKEND_REJECTED: 'the backend refused the request',
  BACKEND_ERROR: 'the backend failed',
};

const GRPC: Partial<Record<GrpcStatus, [BackendErrorKind, BackendErrorCode]>> = {
  [GrpcStatus.INVALID_ARGUMENT]: ['permanent', 'AUDIO_UNDECODABLE'],
  [GrpcStatus.OUT_OF_RANGE]: ['permanent', 'AUDIO_TOO_LARGE'],
  [GrpcStatus.UNAUTHENTICATED]: ['permanent', 'BACKEND_REJECTED'],
  [GrpcStatus.PERMISSION_DENIED]: ['permanent', 'BACKEND_REJECTED'],
  // The address does not serve STT: the registry or the deployment is wrong.
  [GrpcStatus.UNIMPLEMENTED]: ['permanent', 'BACKEND_REJECTED'],
  // The node refuses this request for good, e.g. a speaker it was told to forget.
  [GrpcStatus.FAILED_PRECONDITION]: ['permanent', 'BACKEND_REJECTED'],
  [GrpcStatus.UNAVAILABLE]: ['transient', 'BACKEND_UNAVAILABLE'],
  [GrpcStatus.RESOURCE_EXHAUSTED]: ['transient', 'BACKEND_UNAVAILABLE'],
  [GrpcStatus.ABORTED]: ['transient', 'BACKEND_UNAVAILABLE'],
  [GrpcStatus.DEADLINE_EXCEEDED]: ['transient', 'BACKEND_TIMEOUT'],
  [GrpcStatus.INTERNAL]: ['transient', 'BACKEND_ERROR'],
};

/** A gRPC status other than OK, from backend A. Unlisted codes count as transient: retries are bounded anyway. */
export function classifyGrpcStatus(code: number, details: string, cause?: unknown): BackendError {
  const [kind, errorCode] = GRPC[code as GrpcStatus] ?? ['transient', 'BACKEND_ERROR'];
  const name = GrpcStatus[code] ?? String(code);
  return new BackendError(kind, errorCode, `ScaiInfer node answered ${name}: ${details}`, 'A', { cause });
}

/** A non-2xx HTTP answer from backend B, with the error code from its JSON body when there was one. */
export function classifyHttpStatus(httpStatus: number, bodyCode: string | undefined, message: string): BackendError {
  const says = `STT relay answered ${httpStatus}${bodyCode ? ` ${bodyCode}` : ''}: ${message}`;
  const error = (kind: BackendErrorKind, code: BackendErrorCode): BackendError => new BackendError(kind, code, says, 'B');
  if (httpStatus === 401 || httpStatus === 403) return error('permanent', 'BACKEND_REJECTED');
  if (httpStatus === 413) return error('permanent', 'AUDIO_TOO_LARGE');
  if (httpStatus === 415 || httpStatus === 422 || bodyCode === 'audio_undecodable') return error('permanent', 'AUDIO_UNDECODABLE');
  if (httpStatus === 408 || httpStatus === 504) return error('transient', 'BACKEND_TIMEOUT');
  if (httpStatus === 429 || httpStatus === 502 || httpStatus === 503) return error('transient', 'BACKEND_UNAVAILABLE');
  if (httpStatus >= 500) return error('transient', 'BACKEND_ERROR');
  // Any other 4xx: our request is wrong (bad parameter, wrong URL), and stays wrong.
  return error('permanent', 'BACKEND_REJECTED');
}

/** fetch() itself failed: no connection, connection reset, or a timeout of its own. */
export function classifyNetworkError(err: unknown, timedOut: boolean): BackendError {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const detail = cause instanceof Error ? `${(cause as NodeJS.ErrnoException).code ?? cause.name}: ${cause.message}` : String(cause);
  const timeout = timedOut || /^UND_ERR_(HEADERS|BODY|CONNECT)_TIMEOUT$/.test(String((cause as NodeJS.ErrnoException)?.code));
  return timeout
    ? new BackendError('transient', 'BACKEND_TIMEOUT', `STT relay did not answer in time (${detail})`, 'B', { cause: err })
    : new BackendError('transient', 'BACKEND_UNAVAILABLE', `STT relay unreachable (${detail})`, 'B', { cause: err });
}
