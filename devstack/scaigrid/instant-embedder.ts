import { createHash } from 'node:crypto';
import { queryTokens } from '../../lib/search-index/highlight.js';
import { prng } from '../prng.js';
import type { Embedder } from './embedder.js';

// The reference ScaiGrid's instant engine (SCAIGRID_ENGINE=instant), and the
// index-only bench's embedder (bench/search-index.ts): each word gets a fixed
// pseudo-random unit direction, a text is the normalised sum of its words'
// directions. Instant and deterministic, no model and no meaning beyond shared
// words: it exists so benches measure the pipeline around the embedder, not the
// model (the real model keeps up with tens of messages a second on this machine).

/** Past this many distinct words the directions are forgotten and made again: a long-running server's memory stays bounded. */
const MAX_CACHED_WORDS = 200_000;

export class InstantEmbedder {
  private readonly words = new Map<string, Float32Array>();

  constructor(readonly dimension: number) {}

  embed(text: string): Float32Array {
    const v = new Float32Array(this.dimension);
    for (const token of queryTokens(text)) {
      const w = this.direction(token);
      for (let i = 0; i < v.length; i++) v[i]! += w[i]!;
    }
    return normalise(v);
  }

  private direction(word: string): Float32Array {
    let w = this.words.get(word);
    if (!w) {
      const rand = prng(createHash('sha256').update(word).digest().readUInt32LE(0));
      w = normalise(Float32Array.from({ length: this.dimension }, () => rand() - 0.5));
      if (this.words.size >= MAX_CACHED_WORDS) this.words.clear();
      this.words.set(word, w);
    }
    return w;
  }
}

/** The instant engine behind the ScaiGrid route; its "tokens" are the distinct words it summed. */
export function instantEmbedder(dimensions: number): Embedder {
  const words = new InstantEmbedder(dimensions);
  return {
    engine: 'instant',
    dimensions,
    embed: async (texts) => ({
      vectors: texts.map((t) => words.embed(t)),
      tokens: texts.reduce((n, t) => n + queryTokens(t).size, 0),
    }),
  };
}

function normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const n = Math.sqrt(sum);
  if (n === 0) {
    v[0] = 1;
    return v;
  }
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}
