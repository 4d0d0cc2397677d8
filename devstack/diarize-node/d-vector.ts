import { projectFile } from '../../lib/infra/project-files.js';
import { PythonWorker } from '../python-worker.js';
import { TooLittleSpeechError } from './embedding.js';
import type { SpeakerEmbedder } from './speaker-embedder.js';

// Real d-vectors: Resemblyzer's speaker encoder (GE2E, 256 values,
// L2-normalised), the kind of embedding a production diarization node keeps
// per enrolled speaker. The model lives in Python (devstack/python/d_vector_worker.py).
// Similarity is the cosine. Measured on flite's voices over different
// sentences: the same voice scores 0.93, two voices 0.56 to 0.64; the
// threshold sits between, nearer the "different" side so that a two-second
// excerpt of a known voice still matches.

const THRESHOLD = 0.75;

export function dVectorEmbedder(): SpeakerEmbedder {
  const worker = new PythonWorker(projectFile('devstack', 'python', 'd_vector_worker.py'), [], {
    NUMBA_CACHE_DIR: projectFile('.devstack', 'numba-cache'),
  });
  return {
    model: 'resemblyzer-ge2e-256',
    dims: 256,
    threshold: THRESHOLD,
    ready: worker.ready,
    async embed(pcm, signal) {
      const answer = await worker.ask({ pcm: Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64') }, signal);
      if (typeof answer.speech_ms === 'number') throw new TooLittleSpeechError(`only ${answer.speech_ms} ms of speech; need at least 500 ms`);
      if (!Array.isArray(answer.embedding)) throw new Error(`the d-vector encoder failed: ${answer.error ?? 'no answer'}`);
      return Float32Array.from(answer.embedding as number[]);
    },
    similarity(a, b) {
      let dot = 0;
      for (let i = 0; i < a.length; i++) dot += a[i]! * (b[i] ?? 0);
      return dot;
    },
    close: () => worker.close(),
  };
}
