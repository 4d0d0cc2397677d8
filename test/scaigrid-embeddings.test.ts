import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddingClient, embeddingClientFromConfig, type EmbeddingClient, type EmbeddingClientOptions } from '../lib/scaigrid/embeddings.js';
import type { ScaiGridErrorCode } from '../lib/failure-codes.js';
import { ScaiGridError } from '../lib/scaigrid/errors.js';
import { startTestScaiGrid, type ScaiGridStats, type TestScaiGrid } from './support/scaigrid.js';
import { testConfig } from './support/stack.js';

// The embeddings client against the reference ScaiGrid, a process of its own
// running a real MiniLM model: meaning is found without shared words, long lists
// are batched and come back in order, faults are retried or not as they deserve.

const MAX_BATCH = 16;

// Messages in a room, and for some of them a question that says the same with none of their words.
const MESSAGES = [
  'The invoice is overdue.',
  'Our server crashed last night.',
  "Let's grab lunch at noon.",
  'My laptop battery died.',
  'The flight to Berlin was cancelled.',
  'Happy birthday, Anna!',
  'The meeting has been moved to Thursday.',
  'Please review the pull request before Friday.',
  'The coffee machine on floor three is broken again.',
  'I uploaded the slides for the quarterly review.',
  'The new hire starts on Monday.',
  'Traffic was terrible this morning.',
];
const PARAPHRASES: [query: string, message: number][] = [
  ['payment for this bill arrives late', 0],
  ['production machine went down yesterday evening', 1],
  ['want to eat food together midday?', 2],
  ['notebook computer ran out of power', 3],
  ['airplane trip into Germany got called off', 4],
  ['congratulations on turning another year older', 5],
  ['our call got rescheduled for later this week', 6],
];

const words = (text: string): Set<string> => new Set(text.toLowerCase().match(/[a-z']+/g));
const dot = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

let grid: TestScaiGrid;
let client: EmbeddingClient;
/** The suite's client, with settings of its own where a test needs them. */
const clientWith = (o: Partial<EmbeddingClientOptions>): EmbeddingClient =>
  createEmbeddingClient({ url: grid.url, model: 'scailar-4', platformApiKey: grid.platformKey, batchSize: MAX_BATCH, timeoutMs: 10_000, maxRetries: 3, ...o });

/** What reached the server while `fn` ran. */
async function counted<T>(fn: () => Promise<T>): Promise<{ result: T; delta: ScaiGridStats }> {
  const before = await grid.stats();
  const result = await fn();
  const after = await grid.stats();
  const delta = Object.fromEntries(Object.keys(before).map((k) => [k, Number(after[k as keyof ScaiGridStats]) - Number(before[k as keyof ScaiGridStats])]));
  return { result, delta: delta as ScaiGridStats };
}

async function failure(p: Promise<unknown>): Promise<ScaiGridError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ScaiGridError);
  return err as ScaiGridError;
}

const expectCode = (err: ScaiGridError, code: ScaiGridErrorCode, transient: boolean): void => {
  expect({ code: err.code, transient: err.transient }).toEqual({ code, transient });
};

beforeAll(async () => {
  grid = await startTestScaiGrid({ maxBatch: MAX_BATCH });
  client = embeddingClientFromConfig(
    testConfig({ SCAIWAVE_SCAIGRID_URL: grid.url, SCAIWAVE_SCAIGRID_API_KEY: grid.platformKey, SCAIWAVE_SCAIGRID_EMBEDDING_BATCH_SIZE: String(MAX_BATCH) }).env,
  )!;
});

afterEach(async () => {
  await grid.fault({ mode: 'ok' });
});

afterAll(async () => {
  await grid?.stop();
});

describe('meaning', () => {
  it('finds each message by a paraphrase that shares no word with it, among the other messages', async () => {
    for (const [query, i] of PARAPHRASES) {
      expect([...words(query)].filter((w) => words(MESSAGES[i]!).has(w)), query).toEqual([]);
    }
    const messages = await client.embed(MESSAGES);
    const queries = await client.embed(PARAPHRASES.map(([q]) => q));
    const ranked = queries.map((q) => MESSAGES.map((m, i) => ({ m, score: dot(q, messages[i]!) })).sort((a, b) => b.score - a.score));
    expect(ranked.map((r) => r[0]!.m)).toEqual(PARAPHRASES.map(([, i]) => MESSAGES[i]));
  });

  it('answers unit-length vectors of one width', async () => {
    const vectors = await client.embed(MESSAGES);
    expect(new Set(vectors.map((v) => v.length))).toEqual(new Set([384]));
    for (const v of vectors) expect(dot(v, v)).toBeCloseTo(1, 5);
  });
});

describe('batching', () => {
  it('sends a list longer than the batch limit as several requests and returns every vector in input order', async () => {
    const texts = Array.from({ length: 2 * MAX_BATCH + 5 }, (_, i) => `${MESSAGES[i % MESSAGES.length]} (copy ${i})`);
    const { result: forward, delta } = await counted(() => client.embed(texts));
    expect(forward).toHaveLength(texts.length);
    expect(delta.served).toBe(3);
    // The same texts reversed fall in other batches; each must still get its own vector.
    const backward = (await client.embed([...texts].reverse())).reverse();
    forward.forEach((v, i) => expect(dot(v, backward[i]!)).toBeGreaterThan(0.999));
    // And no two neighbours were swapped: each vector is nearest its own text's.
    forward.forEach((v, i) => expect(dot(v, backward[i]!)).toBeGreaterThan(dot(v, backward[(i + 1) % texts.length]!)));
  });

  it('refuses a batch above the server limit as too large, without retrying', async () => {
    const texts = Array.from({ length: MAX_BATCH + 1 }, (_, i) => `message ${i}`);
    const { result: err, delta } = await counted(() => failure(clientWith({ batchSize: MAX_BATCH + 1 }).embed(texts)));
    expectCode(err, 'SCAIGRID_TOO_LARGE', false);
    expect(delta.requests).toBe(1);
  });
});

describe('faults ScaiGrid recovers from', () => {
  it('retries 503s until ScaiGrid answers', async () => {
    await grid.fault({ mode: 'fail', count: 2, status: 503 });
    const { result, delta } = await counted(() => client.embed(['hello']));
    expect(result).toHaveLength(1);
    expect({ requests: delta.requests, injected: delta.failures_injected, served: delta.served }).toEqual({ requests: 3, injected: 2, served: 1 });
  });

  it('waits out a 429 for the Retry-After ScaiGrid sends, then succeeds', async () => {
    await grid.fault({ mode: 'fail', count: 1, status: 429, retry_after_s: 2 });
    const started = performance.now();
    const { result, delta } = await counted(() => client.embed(['hello']));
    // Its own first backoff is at most half a second: waiting 2 s is the header's doing.
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
    expect(result).toHaveLength(1);
    expect(delta.requests).toBe(2);
  });

  it('abandons a stalled request at the timeout and the retry succeeds', async () => {
    await grid.fault({ mode: 'stall', count: 1 });
    const { result, delta } = await counted(() => clientWith({ timeoutMs: 500 }).embed(['hello']));
    expect(result).toHaveLength(1);
    expect({ requests: delta.requests, cancelled: delta.cancelled, served: delta.served }).toEqual({ requests: 2, cancelled: 1, served: 1 });
  });

  it('rides out refused connections while ScaiGrid is away', async () => {
    await grid.fault({ mode: 'offline' });
    const pending = client.embed(['hello']);
    await new Promise((r) => setTimeout(r, 300));
    await grid.fault({ mode: 'ok' });
    expect(await pending).toHaveLength(1);
  });

  it('gives up as unavailable, retryable later, once its retries are spent', async () => {
    await grid.fault({ mode: 'fail', status: 500 });
    const { result: err, delta } = await counted(() => failure(clientWith({ maxRetries: 2 }).embed(['hello'])));
    expectCode(err, 'SCAIGRID_UNAVAILABLE', true);
    expect(delta.requests).toBe(3);
  });
});

describe('faults no retry can fix', () => {
  it('fails at once on a wrong key: one request, no retry', async () => {
    const { result: err, delta } = await counted(() => failure(clientWith({ platformApiKey: 'sgk_not-a-key' }).embed(['hello'])));
    expectCode(err, 'SCAIGRID_UNAUTHORIZED', false);
    expect(err.status).toBe(401);
    expect({ requests: delta.requests, unauthorized: delta.unauthorized }).toEqual({ requests: 1, unauthorized: 1 });
  });

  it("sends the caller's credential instead of the platform key, and needs one of them", async () => {
    const wrong = await failure(client.embed(['hello'], { credential: 'sgk_not-a-key' }));
    expectCode(wrong, 'SCAIGRID_UNAUTHORIZED', false);
    const userOnly = clientWith({ platformApiKey: undefined });
    expect(await userOnly.embed(['hello'], { credential: grid.userKey })).toHaveLength(1);
    const { result: none, delta } = await counted(() => failure(userOnly.embed(['hello'])));
    expectCode(none, 'SCAIGRID_UNAUTHORIZED', false);
    expect(delta.requests).toBe(0);
  });

  it('names an unknown model as such, without retrying', async () => {
    const { result: err, delta } = await counted(() => failure(clientWith({ model: 'no-such-model' }).embed(['hello'])));
    expectCode(err, 'SCAIGRID_MODEL_NOT_FOUND', false);
    expect({ requests: delta.requests, model_not_found: delta.model_not_found }).toEqual({ requests: 1, model_not_found: 1 });
  });
});
