import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { Router } from '@koa/router';
import coBody from 'co-body';
import { z } from 'zod';
import { FAULT_MODES, type FaultMode, type FaultSwitch } from './faults.js';

// The control port of a reference STT server. It is a listener of its own so a
// test can still reach it while the server "goes offline".

export interface AdminOptions {
  port: number;
  host: string;
  faults: FaultSwitch;
  /** Counters for GET /stats, next to the fault mode. */
  stats: () => Record<string, number | string>;
  /** Brings the serving side down or up to match the mode; the reply waits for it. */
  applyMode: (mode: FaultMode) => Promise<void>;
}

export interface AdminServer {
  url: string;
  close(): Promise<void>;
}

const faultRequest = z.object({
  mode: z.enum(FAULT_MODES),
  count: z.number().int().positive().optional(),
});

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
    if (!parsed.success) {
      ctx.status = 400;
      ctx.body = { error: { code: 'invalid_request', message: `body must be {"mode": ${FAULT_MODES.join('|')}, "count"?: n}` } };
      return;
    }
    if (parsed.data.count !== undefined && parsed.data.mode !== 'fail') {
      ctx.status = 400;
      ctx.body = { error: { code: 'invalid_request', message: 'count applies to mode "fail" only' } };
      return;
    }
    opts.faults.set(parsed.data.mode, parsed.data.count);
    await opts.applyMode(parsed.data.mode);
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
