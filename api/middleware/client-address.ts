import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import proxyAddr from 'proxy-addr';
import type { ApiState } from '../../lib/http/state.js';

/**
 * The client's address, as rate limits and the audit log see it. X-Forwarded-For
 * is believed only hop by hop from the proxies in SCAIWAVE_TRUSTED_PROXIES
 * (addresses or CIDR ranges): the address is the nearest hop that is not one of
 * them. Anyone else can write that header, so trusting it wholesale would let
 * a client pick the address it is limited and logged under.
 */
export function addressOf(trustedProxies: readonly string[]): (req: IncomingMessage) => string {
  const trust = proxyAddr.compile([...trustedProxies]);
  return (req) => proxyAddr(req, trust);
}

export function clientAddress(trustedProxies: readonly string[]): Middleware<ApiState> {
  const address = addressOf(trustedProxies);
  return async (ctx, next) => {
    ctx.request.ip = address(ctx.req);
    await next();
  };
}
