import type { IncomingMessage } from 'node:http';
import type { Caller } from '../lib/auth/caller-identity.js';
import type { Permission } from '../lib/auth/permissions.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/infra/logger.js';
import type { Admission } from './middleware/admit.js';
import { addressOf } from './middleware/client-address.js';

// A live socket's upgrade is admitted as a /v1 request is (authentication,
// rate limits) before the socket exists, and needs the route's permission. The
// bearer comes in the Authorization header or, from a browser, which cannot
// set headers on a WebSocket, in the `access_token` query parameter.

export function socketCallers(admission: Admission, trustedProxies: readonly string[]) {
  const address = addressOf(trustedProxies);
  return async (req: IncomingMessage, url: URL, permission: Permission): Promise<Caller> => {
    const { caller, limited } = await admission(address(req), { authorization: req.headers.authorization, queryToken: url.searchParams.get('access_token') ?? undefined });
    if (limited) throw limited;
    if (!caller.permissions.has(permission)) throw new AppError('FORBIDDEN', `the credential lacks ${permission}`);
    return caller;
  };
}

/** A refusal the client may read as it is; anything else is ours, logged, and said as "try again". */
export function refusalOf(err: unknown, logger: Logger, requestId: string): AppError {
  if (err instanceof AppError) return err;
  logger.error({ err, requestId }, 'live socket admission failed');
  return new AppError('SERVICE_UNAVAILABLE', 'try again');
}
