import { dVectorEmbedder } from './d-vector.js';
import { EMBEDDING_DIMS, EMBEDDING_MODEL, MATCH_THRESHOLD, similarity, speakerEmbedding } from './embedding.js';
import type { DiarizeEngineKind, SpeakerEmbedder } from './speaker-embedder.js';

// The diarization node's speaker embedding, by engine: 'd-vector' is a real
// neural speaker encoder (d-vector.ts, as npm start runs it); 'mfcc' the small
// signal-processing one (embedding.ts) that needs no model and starts at once.

export function createEmbedder(kind: DiarizeEngineKind): SpeakerEmbedder {
  if (kind === 'd-vector') return dVectorEmbedder();
  return { model: EMBEDDING_MODEL, dims: EMBEDDING_DIMS, threshold: MATCH_THRESHOLD, embed: async (pcm) => speakerEmbedding(pcm), similarity, ready: Promise.resolve(), close: () => undefined };
}
