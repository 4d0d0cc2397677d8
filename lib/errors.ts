// One error type for everything a caller may see. The envelope middleware turns
// it into {"success": false, "error": {code, message}, "request_id"}; anything
// else becomes a 500 INTERNAL_ERROR without leaking its message.

export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'INVALID_JSON'
  | 'AUDIO_UNDECODABLE'
  | 'AUDIO_TOO_LONG'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'CURSOR_EXPIRED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNPROCESSABLE_ENTITY'
  | 'IMPORT_BUNDLE_INVALID'
  | 'IMPORT_SIGNATURE_INVALID'
  | 'IMPORT_UNTRUSTED_SIGNER'
  | 'IMPORT_TENANT_MISMATCH'
  | 'CLIENT_CLOSED_REQUEST'
  | 'RATE_LIMITED'
  | 'BUDGET_EXCEEDED'
  | 'SERVICE_DRAINING'
  | 'SERVICE_UNAVAILABLE'
  | 'BACKEND_UNAVAILABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'INTERNAL_ERROR';

/** The HTTP status of each code; the OpenAPI document lists the codes by it. */
export const statusOf: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_ERROR: 400,
  INVALID_JSON: 400,
  AUDIO_UNDECODABLE: 400,
  UNAUTHORIZED: 401,
  BUDGET_EXCEEDED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  CURSOR_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  AUDIO_TOO_LONG: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE_ENTITY: 422,
  // A room bundle refused before anything of it is stored (lib/export/import-trust.ts).
  IMPORT_BUNDLE_INVALID: 422,
  IMPORT_SIGNATURE_INVALID: 422,
  IMPORT_UNTRUSTED_SIGNER: 422,
  IMPORT_TENANT_MISMATCH: 422,
  RATE_LIMITED: 429,
  // nginx's convention: nobody reads this answer, but logs and metrics must not count it as our failure.
  CLIENT_CLOSED_REQUEST: 499,
  INTERNAL_ERROR: 500,
  SERVICE_DRAINING: 503,
  SERVICE_UNAVAILABLE: 503,
  BACKEND_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
};

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = statusOf[code];
  }
}

export const notFound = (what: string): AppError => new AppError('NOT_FOUND', `${what} not found`);
