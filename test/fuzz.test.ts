import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import type { Provisioned } from '../lib/tenancy/provisioning.js';
import { fuzzDepth, schemathesis } from './support/schemathesis.js';
import { idpToken, newTenant, testConfig, testDb, uniq } from './support/stack.js';

const depth = fuzzDepth();
// A safety net only: the bounded run takes a few minutes on a loaded machine, the deep one far longer.
const runTimeout = depth.phases.includes('stateful') ? 3 * 3600_000 : 1200_000;

describe('the live API against its own OpenAPI spec (schemathesis)', () => {
  const db = testDb();
  let api: RunningApi;
  let t: Provisioned;

  beforeAll(async () => {
    api = await startApi(testConfig(), { port: 0 });
    // The fuzzer sends thousands of requests a minute; the rate limits are tested elsewhere.
    t = await newTenant(db, { features: { rate_limits: { tenant_per_minute: 1_000_000, key_per_minute: 1_000_000 } } });
  });
  afterAll(async () => {
    await api?.close();
    await db.$disconnect();
  });

  const fuzzAs = async (roles: string[]): Promise<void> => {
    // ScaiKey tokens, not API keys: the fuzzer may revoke any key it can list, its own included.
    const token = await idpToken({ sub: uniq('fuzz'), tenant: t.tenant.slug, roles, expires_in: 6 * 3600 });
    const run = await schemathesis(`${api.url}/openapi.json`, token, depth);
    expect(run.exitCode, run.output).toBe(0);
  };

  it('as a tenant member: no 5xx, every answer as the spec says, no schema-invalid request accepted', () => fuzzAs(['member']), runTimeout);

  it('as a tenant admin: the same, with the admin routes open', () => fuzzAs(['admin']), runTimeout);
});
