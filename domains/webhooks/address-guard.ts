import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isPrivateAddress } from '../../lib/http/public-address.js';

// Where a webhook may not go (SSRF): any address that is not a public unicast
// one. Checked at registration and again at every try, on the addresses the
// name resolves to then; the try connects to the very address checked
// (send.ts pins it), so a name that resolves elsewhere a moment later
// (DNS rebinding) cannot slip through. Redirects are never followed.

export interface ResolvedTarget {
  address: string;
  family: 4 | 6;
}

export type TargetCheck =
  | { ok: true; target: ResolvedTarget }
  | { ok: false; code: 'WEBHOOK_URL_INVALID' | 'WEBHOOK_URL_FORBIDDEN' | 'WEBHOOK_URL_UNRESOLVABLE'; message: string };

/** The parsed URL when it is one a webhook may have: http(s), no credentials in it. */
export function webhookUrl(text: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password) return undefined;
  return url;
}

/**
 * Resolves the URL's host and checks every address it resolves to (one
 * forbidden address refuses the whole name: which one a client picks is not
 * ours to choose); the first is the one to connect to.
 */
export async function checkTarget(text: string, allowPrivate: boolean): Promise<TargetCheck> {
  const url = webhookUrl(text);
  if (!url) return { ok: false, code: 'WEBHOOK_URL_INVALID', message: 'the URL must be http:// or https:// without user name or password' };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string; family: number }[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
  } catch {
    return { ok: false, code: 'WEBHOOK_URL_UNRESOLVABLE', message: `the host ${host} does not resolve` };
  }
  if (addresses.length === 0) return { ok: false, code: 'WEBHOOK_URL_UNRESOLVABLE', message: `the host ${host} does not resolve` };
  const refused = addresses.find((a) => isPrivateAddress(a.address));
  if (refused && !allowPrivate) {
    return {
      ok: false,
      code: 'WEBHOOK_URL_FORBIDDEN',
      message: `the host ${host} resolves to ${refused.address}, a private, loopback, link-local, multicast or unspecified address`,
    };
  }
  const first = addresses[0]!;
  return { ok: true, target: { address: first.address, family: first.family === 6 ? 6 : 4 } };
}
