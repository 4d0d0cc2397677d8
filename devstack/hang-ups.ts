import type Koa from 'koa';
import type { Logger } from '../lib/infra/logger.js';

// Callers that give up (timeouts, aborts: what the fault tests do) are routine
// for a reference server: it stops waiting for them and logs them quietly.

const CLIENT_HANG_UP_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'HPE_INVALID_EOF_STATE']);

/** Aborts once the caller hangs up before its answer is written. */
export function hangUpSignal(ctx: Koa.Context, onHangUp: () => void): AbortSignal {
  const gone = new AbortController();
  ctx.res.once('close', () => {
    if (ctx.res.writableFinished) return;
    onHangUp();
    gone.abort();
  });
  return gone.signal;
}

/** Koa's error events: a hung-up caller at debug, anything else as the error it is. */
export function logAppErrors(app: Koa, log: Logger): void {
  app.silent = true;
  app.on('error', (err: Error & { code?: string }) => {
    const hungUp = err.message === 'aborted' || CLIENT_HANG_UP_CODES.has(err.code ?? '');
    log[hungUp ? 'debug' : 'error']({ err: String(err), code: err.code }, hungUp ? 'client hung up' : 'request failed');
  });
}
