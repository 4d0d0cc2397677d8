import type { BackendErrorCode } from '../../lib/failure-codes.js';

// When a job gives up on one backend and moves on to the next in
// backendsToTry's order: the same rule for the inline call
// (transcribe-now.ts) and the async job (domains/scaiecho/workflows.ts). Pure:
// the workflow imports it.
//
// Permanent verdicts move on too: a backend's size limit or its refusal of our
// credentials says nothing about the other backend. Only audio that no engine
// can decode stops the job where it is.
const MOVES_ON: Record<BackendErrorCode, boolean> = {
  AUDIO_UNDECODABLE: false,
  AUDIO_TOO_LARGE: true,
  BACKEND_UNAVAILABLE: true,
  BACKEND_TIMEOUT: true,
  BACKEND_REJECTED: true,
  BACKEND_ERROR: true,
};

/** Whether the next allowed backend may succeed where this failure (a backend error code or failure type) happened. */
export function nextBackendMayHelp(code: string | undefined): boolean {
  return code !== undefined && Object.hasOwn(MOVES_ON, code) && MOVES_ON[code as BackendErrorCode];
}
