import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_DIMENSIONS } from '../devstack/scaigrid/embedder.js';
import { embeddingClientFromConfig, type EmbeddingClient } from '../lib/scaigrid/embeddings.js';
import { startTestScaiGrid, type TestScaiGrid } from './support/scaigrid.js';
import { testConfig } from './support/stack.js';

// The reference ScaiGrid's instant engine (SCAIGRID_ENGINE=instant), which the
// search-indexing bench runs to measure the pipeline without the model: the
// same protocol through the product's client, vectors of the model's width,
// the same vector for the same text. Every other suite embeds
// with the real model.

const dot = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

let grid: TestScaiGrid;
let client: EmbeddingClient;

beforeAll(async () => {
  grid = await startTestScaiGrid({ engine: 'instant' });
  client = embeddingClientFromConfig(testConfig({ SCAIWAVE_SCAIGRID_URL: grid.url, SCAIWAVE_SCAIGRID_API_KEY: grid.platformKey }).env)!;
});

afterAll(async () => {
  await grid?.stop();
});

describe('instant engine', () => {
  it("answers unit-length vectors of the model's width, the same for the same text, closer for shared words", async () => {
    const [budget, again, budgetReview, lunch] = await client.embed(['budget review', 'budget review', 'the budget review is late', 'lunch at noon']);
    expect(budget!.length).toBe(MODEL_DIMENSIONS);
    for (const v of [budget!, budgetReview!, lunch!]) expect(dot(v, v)).toBeCloseTo(1, 5);
    expect(again).toEqual(budget);
    expect(dot(budget!, budgetReview!)).toBeGreaterThan(dot(budget!, lunch!) + 0.3);
    const stats = (await (await fetch(`${grid.adminUrl}/stats`)).json()) as { engine: string; inputs_embedded: number };
    expect(stats).toMatchObject({ engine: 'instant', inputs_embedded: 4 });
  });
});
