import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { AppError } from '../errors.js';
import { isPrivateAddress } from './public-address.js';

// A GET to a URL a caller named: only to origins the deployment allows, and
// (unless it says otherwise) never to a private, loopback or link-local
// address. The address is judged where the connection is made (the socket's
// own DNS lookup), so a name that resolves differently the second time (DNS
// rebinding) gains nothing; every redirect is judged the same way.

export interface GuardedGet {
  allowedOrigins: ReadonlySet<string>;
  allowPrivate: boolean;
  maxBytes: number;
  signal: AbortSignal;
  maxRedirects?: number;
}

const refusedAddress = (host: string): AppError =>
  new AppError('FORBIDDEN', `url: ${host} resolves to a private or loopback address, which this deployment does not fetch from`);

/** The body of a 200 answer, its announced length within `maxBytes` (the reader still counts what arrives). */
export async function guardedGet(url: string, opts: GuardedGet, redirects = opts.maxRedirects ?? 3): Promise<Readable> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new AppError('VALIDATION_ERROR', 'url: not a URL');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new AppError('VALIDATION_ERROR', 'url: must be http or https');
  if (!opts.allowedOrigins.has(target.origin)) throw new AppError('FORBIDDEN', `url: ${target.origin} is not on this deployment's allow-list`);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  // A literal address makes no lookup: it is judged here.
  if (net.isIP(host) && !opts.allowPrivate && isPrivateAddress(host)) throw refusedAddress(host);

  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = (target.protocol === 'https:' ? https : http).get(target, { signal: opts.signal, lookup: guardedLookup(opts.allowPrivate) }, resolve);
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof AppError) return reject(err);
      if (opts.signal.aborted) return reject(err);
      reject(new AppError('UNPROCESSABLE_ENTITY', `url: could not be fetched (${err.code ?? err.message})`));
    });
  });
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400 && res.headers.location) {
    res.resume();
    if (redirects === 0) throw new AppError('UNPROCESSABLE_ENTITY', 'url: too many redirects');
    return guardedGet(new URL(res.headers.location, target).href, opts, redirects - 1);
  }
  if (status !== 200) {
    res.resume();
    throw new AppError('UNPROCESSABLE_ENTITY', `url: the server answered ${status}`);
  }
  const announced = Number(res.headers['content-length']);
  if (announced > opts.maxBytes) {
    res.destroy();
    throw new AppError('PAYLOAD_TOO_LARGE', `url: the audio is larger than ${opts.maxBytes} bytes`);
  }
  return res;
}

/** dns.lookup, refusing a name any of whose addresses is private when that is not allowed. */
function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      if (!allowPrivate && addresses.some((a) => isPrivateAddress(a.address))) return callback(refusedAddress(hostname), '', 0);
      if (options.all) return (callback as unknown as (e: null, all: dns.LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}
