import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { Router } from '@koa/router';
import coBody from 'co-body';
import { z } from 'zod';
import { FAULT_MODES, type FaultMode, type FaultSwitch } from './faults.js';

// The control port of a reference server. It is a listener of its own so a
// test can still reach it while the server "goes offline".

export interface AdminOptions {
  port: number;
  host: string;
  faults: FaultSwitch;
  /** Counters for GET /stats, next to the fault mode. */
  stats: () => Record<string, number | string>;
  /** Brings the serving side down or up to match the mode; the reply waits for it. */
  applyMode: (mode: FaultMode) => Promise<void>;
  /**
   * The HTTP statuses an injected failure may answer with, for a server that lets
   * the test choose (with Retry-After for a 429 or 503). Servers that fail in one
   * fixed way leave it out, and refuse a request that names a status.
   */
  failureStatuses?: readonly number[];
}

export interface AdminServer {
  url: string;
  close(): Promise<void>;
}

const faultRequest = z.object({
  mode: z.enum(FAULT_MODES),
  count: z.number().int().positive().optional(),
  status: z.number().int().optional(),
  retry_after_s: z.number().int().nonnegative().optional(),
});
const USAGE = `body must be {"mode": ${FAULT_MODES.join('|')}, "count"?: n, "status"?: http status, "retry_after_s"?: n}`;

/** Why a well-formed fault request cannot be done by this server, if it cannot. */
function refusal(req: z.infer<typeof faultRequest>, statuses: readonly number[]): string | undefined {
  if (req.count !== undefined && req.mode !== 'fail' && req.mode !== 'stall') return 'count applies to modes "fail" and "stall" only';
  if ((req.status !== undefined || req.retry_after_s !== undefined) && req.mode !== 'fail') return 'status and retry_after_s apply to mode "fail" only';
  if (req.status !== undefined && !statuses.includes(req.status)) {
    return statuses.length ? `status must be one of ${statuses.join(', ')}` : 'this server fails in one way only: no status';
  }
  if (req.retry_after_s !== undefined && statuses.length === 0) return 'this server sends no Retry-After';
  return undefined;
}

export async function startAdminServer(opts: AdminOptions): Promise<AdminServer> {
  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok', fault_mode: opts.faults.mode };
  });
  router.get('/stats', (ctx) => {
    ctx.body = { fault_mode: opts.faults.mode, failures_injected: opts.faults.injected, ...opts.stats() };
  });
  router.post('/admin/fault', async (ctx) => {
    const parsed = faultRequest.safeParse(await coBody.json(ctx, { limit: '4kb' }).catch(() => undefined));
    const refused = parsed.success ? refusal(parsed.data, opts.failureStatuses ?? []) : USAGE;
    if (!parsed.success || refused) {
      ctx.status = 400;
      ctx.body = { error: { code: 'invalid_request', message: refused } };
      return;
    }
    const { mode, count, status, retry_after_s: retryAfterSeconds } = parsed.data;
    opts.faults.set(mode, count, { status, retryAfterSeconds });
    await opts.applyMode(mode);
    ctx.body = { mode: opts.faults.mode };
  });

  const app = new Koa();
  app.use(router.routes());
  app.use(router.allowedMethods());
  const server = createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
