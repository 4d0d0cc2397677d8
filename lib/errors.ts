// One error type for everything a caller may see. The envelope middleware turns
// it into {"success": false, "error": {code, message}, "request_id"}; anything
// else becomes a 500 INTERNAL_ERROR without leaking its message.

import { FAILURE_CODES, type HttpCode } from './failure-codes.js';

/** A code an HTTP answer may carry (lib/failure-codes.ts). */
export type ErrorCode = HttpCode;

/** The HTTP status of each code; the OpenAPI document lists the codes by it. */
export const statusOf = Object.fromEntries(
  Object.entries(FAILURE_CODES).flatMap(([code, entry]) => ('status' in entry ? [[code, entry.status]] : [])),
) as Readonly<Record<ErrorCode, number>>;

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
