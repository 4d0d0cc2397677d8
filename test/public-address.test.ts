import { describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../lib/http/public-address.js';

// What a URL a caller names may not reach (lib/http/guarded-get.ts): every form an address of ours can take.

describe('isPrivateAddress', () => {
  it('refuses loopback, private, link-local (cloud metadata) and reserved addresses, in IPv4, IPv6 and IPv4-mapped forms', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.31.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::a00:1']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
  });

  it('lets public unicast addresses through, mapped ones too; what is not an address is refused', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700::1111', '::ffff:8.8.8.8']) expect(isPrivateAddress(a), a).toBe(false);
    expect(isPrivateAddress('localhost')).toBe(true);
  });
});
