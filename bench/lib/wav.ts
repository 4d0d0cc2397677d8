import { pcmWav } from '../../lib/audio/wav.js';

// A short tone as a 16 kHz mono 16-bit PCM WAV file: what the API's probe and
// the instant engine accept, small enough that transfer time stays negligible.

export function toneWav(durationMs: number, sampleRate = 16_000, hz = 440): Uint8Array {
  const samples = Math.max(1, Math.round((durationMs * sampleRate) / 1000));
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) pcm.writeInt16LE(Math.round(Math.sin((2 * Math.PI * hz * i) / sampleRate) * 8000), i * 2);
  return pcmWav(pcm, sampleRate);
}
