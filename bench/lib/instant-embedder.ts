import { createHash } from 'node:crypto';
import { queryTokens } from '../../lib/search/highlight.js';
import { prng } from './synthetic-messages.js';

// An INSTANT, DETERMINISTIC stand-in embedder for the index-only bench: each
// word gets a fixed pseudo-random unit direction, a text is the normalised sum
// of its words' directions. No model, no meaning beyond shared words: it
// exists so the index can be loaded and queried at 100k messages in seconds.
// Figures with the real model come from the embedding bench, not from here.

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
      this.words.set(word, w);
    }
    return w;
  }
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
