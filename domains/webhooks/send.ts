import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedTarget } from './address-guard.js';

// One try: a POST to the endpoint's URL, connected to the address the guard
// checked (the name is not resolved again, so it cannot resolve elsewhere in
// between), with the URL's host kept for the Host header and TLS (SNI and the
// certificate's name). A 3xx is an answer like any other non-2xx: redirects
// are not followed, so a receiver cannot send us on to an address never checked.

export interface SendOutcome {
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/** Answers the checked address, whichever form of lookup the socket asks for. */
const pinned =
  (t: ResolvedTarget): LookupFunction =>
  (_host, opts, cb) => {
    if (opts.all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: t.address, family: t.family }]);
    else cb(null, t.address, t.family);
  };

export function sendWebhook(url: string, target: ResolvedTarget, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendOutcome> {
  const started = performance.now();
  const u = new URL(url);
  const client = u.protocol === 'https:' ? https : http;
  const latency = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const req = client.request(
      u,
      {
        method: 'POST',
        lookup: pinned(target),
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'scaiwave-webhooks' },
        timeout: timeoutMs,
        // A kept-alive socket would outlive this try's check.
        agent: false,
      },
      (res) => {
        // The status is the answer; the body is read away unread so the socket can close.
        res.resume();
        res.on('end', () => resolve({ statusCode: res.statusCode ?? null, latencyMs: latency(), error: null }));
        res.on('error', () => resolve({ statusCode: res.statusCode ?? null, latencyMs: latency(), error: null }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ statusCode: null, latencyMs: latency(), error: err.message }));
    req.end(body);
  });
}
