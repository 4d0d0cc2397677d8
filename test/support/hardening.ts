import { expect } from 'vitest';

/** The hardening headers every answer carries (api/middleware/security-headers.ts), read through `header`. */
export function expectHardened(header: (name: string) => string | null | undefined): void {
  expect(header('x-content-type-options')).toBe('nosniff');
  expect(header('x-frame-options')).toBe('DENY');
  expect(header('referrer-policy')).toBe('no-referrer');
  const csp = header('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(header('cache-control')).toBe('no-store');
}
