import type { Context } from 'koa';

/** The seeds' success() envelope. */
export function ok(ctx: Context, data: unknown, status = 200): void {
  ctx.status = status;
  ctx.body = { success: true, data };
}
