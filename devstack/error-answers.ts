import type Koa from 'koa';

// The outermost middleware of an HTTP reference server: counts the requests it
// gets and those in flight (for the admin /stats), and turns the server's own
// error type into its protocol's error answer. Anything else is a bug, for Koa.

export interface RequestCounters {
  requests: number;
  in_flight: number;
}

export function answerErrors<E extends Error & { status: number }>(
  stats: RequestCounters,
  own: (err: unknown) => err is E,
  answer: (ctx: Koa.Context, err: E) => void,
): Koa.Middleware {
  return async (ctx, next) => {
    stats.requests++;
    stats.in_flight++;
    try {
      await next();
    } catch (err) {
      if (!own(err)) throw err;
      ctx.status = err.status;
      if (err.status === 401) ctx.set('WWW-Authenticate', 'Bearer');
      answer(ctx, err);
    } finally {
      stats.in_flight--;
    }
  };
}
