import { afterAll, describe, expect, it } from 'vitest';
import { createEmbedder } from '../devstack/diarize-node/embedder.js';
import { TooLittleSpeechError } from '../devstack/diarize-node/embedding.js';
import { DIARIZE_ENGINE_KINDS } from '../devstack/diarize-node/speaker-embedder.js';
import { decodePcm, PCM_RATE } from '../lib/audio/pcm.js';
import { speak, type Voice } from './support/speech.js';

// The reference node's embeddings must be good enough for the attribution
// tests to mean something: one voice over different sentences matches itself,
// never another voice, and excerpts as short as a transcript segment still do.
// Both engines: Resemblyzer's d-vectors (npm start's) and the MFCC one.
describe.each(DIARIZE_ENGINE_KINDS)('reference speaker embedding: %s', (kind) => {
  const embedder = createEmbedder(kind);
  const sentences = [
    'She sells sea shells by the sea shore, and the shells she sells are surely sea shells.',
    'The quick brown fox jumped over the lazy dog while the cat watched from the window.',
  ];
  const voices: Voice[] = ['slt', 'rms', 'awb'];
  const embed = async (voice: Voice, text: string) => embedder.embed(await decodePcm(speak(text, voice)));
  afterAll(() => embedder.close());

  it('matches a voice across sentences and tells the three flite voices apart', async () => {
    const enrolled = await Promise.all(voices.map((v) => embed(v, sentences[0]!)));
    const heard = await Promise.all(voices.map((v) => embed(v, sentences[1]!)));
    expect(enrolled[0]).toHaveLength(embedder.dims);
    voices.forEach((_, i) =>
      voices.forEach((__, j) => {
        const score = embedder.similarity(enrolled[i]!, heard[j]!);
        if (i === j) expect(score, `${voices[i]} vs itself`).toBeGreaterThan(embedder.threshold);
        else expect(score, `${voices[i]} vs ${voices[j]}`).toBeLessThan(embedder.threshold);
      }),
    );
  });

  it('still matches on a two-second excerpt, and refuses what holds no speech', async () => {
    const enrolled = await embed('rms', sentences[0]!);
    const pcm = await decodePcm(speak(sentences[1]!, 'rms'));
    expect(embedder.similarity(enrolled, await embedder.embed(pcm.subarray(0, 2 * PCM_RATE)))).toBeGreaterThan(embedder.threshold);
    await expect(embedder.embed(new Int16Array(PCM_RATE))).rejects.toThrow(TooLittleSpeechError);
  });
});
