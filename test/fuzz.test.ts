import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { enrollSpeaker, startScaiEchoStack, transcribe, type ScaiEchoStack } from './support/scaiecho.js';
import { deepFuzz, schemathesis, type KnownIds } from './support/schemathesis.js';
import { startTestScaiGrid, type TestScaiGrid } from './support/scaigrid.js';
import { speak } from './support/speech.js';
import { idpToken, newTenant, testDb, uniq } from './support/stack.js';

// A safety net only: the bounded run takes a minute or two on a loaded machine, the deep one far longer.
const runTimeout = deepFuzz ? 3 * 3600_000 : 1200_000;
const SYNC_WAIT_MS = 2000;

describe('the live API against its own OpenAPI spec (schemathesis)', () => {
  const db = testDb();
  let s: ScaiEchoStack;
  let grid: TestScaiGrid;
  let t: Provisioned;

  beforeAll(async () => {
    // A worker and an STT node behind the API, so jobs the fuzzer touches move as they do in production.
    // Long polls short enough for a fuzzer: each sync it sends without `wait_ms` holds its one connection for
    // the whole wait, and the wait must end well inside the fuzzer's request timeout to be seen as an answer.
    // A ScaiGrid too, so semantic and hybrid searches embed their words as in production.
    grid = await startTestScaiGrid();
    s = await startScaiEchoStack({
      env: { SCAIWAVE_WAVE_SYNC_TIMEOUT_MS: String(SYNC_WAIT_MS), SCAIWAVE_SCAIGRID_URL: grid.url, SCAIWAVE_SCAIGRID_API_KEY: grid.platformKey },
    });
    // The fuzzer sends thousands of requests a minute; the rate limits are tested elsewhere.
    t = await newTenant(db, { features: { rate_limits: { tenant_per_minute: 1_000_000, key_per_minute: 1_000_000 } } });
  });
  afterAll(async () => {
    await s?.stop();
    await grid?.stop();
    await db.$disconnect();
  });

  /** A job of the caller's own and a speaker of the tenant, for the operations that read or change one. */
  const objectsOf = async (token: string): Promise<KnownIds> => {
    const job = await transcribe(s.api.url, token, speak('the quick brown fox jumped over the lazy dog'), { force_async: 'true' });
    const speaker = await enrollSpeaker(
      s.api.url,
      token,
      speak('She sells sea shells by the sea shore, and the shells she sells are surely sea shells.'),
      speak('I agree that my voice may be enrolled for speaker attribution.'),
      'Ada',
    );
    expect([job.status, speaker.status]).toEqual([202, 202]);
    return { '/v1/modules/scaiecho/jobs/': [job.body.data!.job_id], '/v1/modules/scaiecho/speakers/': [speaker.body.data!.speaker_id] };
  };

  const fuzzAs = async (roles: string[]): Promise<void> => {
    // ScaiKey tokens, not API keys: the fuzzer may revoke any key it can list, its own included.
    const token = await idpToken({ sub: uniq('fuzz'), tenant: t.tenant.slug, roles, expires_in: 6 * 3600 });
    const run = await schemathesis(`${s.api.url}/openapi.json`, token, await objectsOf(token));
    expect(run.exitCode, run.output).toBe(0);
  };

  it('as a tenant member: no 5xx, every answer as the spec says, no schema-invalid request accepted', () => fuzzAs(['member']), runTimeout);

  it('as a tenant admin: the same, with the admin routes open', () => fuzzAs(['admin']), runTimeout);
});
