import { BlockList, isIP } from 'node:net';

// Addresses that are not public unicast ones: what a request a caller names
// (a URL to fetch) must not reach unless the deployment allows it (SSRF).

const notPublic = new BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8], // this network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local: cloud metadata services live here
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and broadcast
] as const) notPublic.addSubnet(prefix, bits, 'ipv4');
for (const [prefix, bits] of [
  ['::', 127], // unspecified and loopback
  ['::', 96], // IPv4-compatible
  ['64:ff9b::', 96], // NAT64 reaches IPv4 through a translator
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local
  ['ff00::', 8], // multicast
] as const) notPublic.addSubnet(prefix, bits, 'ipv6');

/** The IPv4 address an IPv4-mapped IPv6 one (`::ffff:a.b.c.d`, or its hex form) carries. */
function mappedIpv4(address: string): string | undefined {
  const m = /^(?:0{0,4}:){0,5}:?ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!m) return undefined;
  if (m[1]) return m[1];
  const n = parseInt(m[2]!, 16) * 65536 + parseInt(m[3]!, 16);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Whether a literal address is private, loopback, link-local, reserved or not an address at all. */
export function isPrivateAddress(address: string): boolean {
  const v4 = mappedIpv4(address);
  if (v4) return notPublic.check(v4, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return notPublic.check(address, family === 4 ? 'ipv4' : 'ipv6');
}
