import { describe, expect, it } from 'vitest';
import { MATCH_THRESHOLD, similarity, speakerEmbedding, TooLittleSpeechError } from '../devstack/diarize-node/embedding.js';
import { decodePcm, PCM_RATE } from '../lib/audio/pcm.js';
import { speak, type Voice } from './support/speech.js';

// The reference node's embedding must be good enough for the attribution
// tests to mean something: one voice over different sentences matches itself,
// never another voice, and excerpts as short as a transcript segment still do.
describe('reference speaker embedding', () => {
  const sentences = [
    'She sells sea shells by the sea shore, and the shells she sells are surely sea shells.',
    'The quick brown fox jumped over the lazy dog while the cat watched from the window.',
  ];
  const voices: Voice[] = ['slt', 'rms', 'awb'];
  const embed = async (voice: Voice, text: string) => speakerEmbedding(await decodePcm(speak(text, voice)));

  it('matches a voice across sentences and tells the three flite voices apart', async () => {
    const enrolled = await Promise.all(voices.map((v) => embed(v, sentences[0]!)));
    const heard = await Promise.all(voices.map((v) => embed(v, sentences[1]!)));
    voices.forEach((_, i) =>
      voices.forEach((__, j) => {
        const score = similarity(enrolled[i]!, heard[j]!);
        if (i === j) expect(score, `${voices[i]} vs itself`).toBeGreaterThan(MATCH_THRESHOLD);
        else expect(score, `${voices[i]} vs ${voices[j]}`).toBeLessThan(MATCH_THRESHOLD);
      }),
    );
  });

  it('still matches on a two-second excerpt, and refuses what holds no speech', async () => {
    const enrolled = await embed('rms', sentences[0]!);
    const pcm = await decodePcm(speak(sentences[1]!, 'rms'));
    expect(similarity(enrolled, speakerEmbedding(pcm.subarray(0, 2 * PCM_RATE)))).toBeGreaterThan(MATCH_THRESHOLD);
    expect(() => speakerEmbedding(new Int16Array(PCM_RATE))).toThrow(TooLittleSpeechError);
  });
});
