// A seeded pseudo-random stream for reference servers and benches that must
// give the same numbers on every machine (synthetic corpora, the instant
// embedder's word directions).

/** mulberry32: a small, well-mixed 32-bit generator; the same seed gives the same stream on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
