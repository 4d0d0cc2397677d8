import type { Context } from 'koa';

/**
 * Aborted when the client hangs up before its answer is written, so work done
 * only for that answer (a backend call) can be cancelled. The response's
 * 'close' also fires after a normal answer; only one that did not finish counts.
 */
export function clientGone(ctx: Context): AbortSignal {
  const gone = new AbortController();
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) gone.abort(new Error('the client closed the request'));
  });
  return gone.signal;
}
