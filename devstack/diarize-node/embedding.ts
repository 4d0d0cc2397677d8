import { PCM_RATE } from '../../lib/audio/pcm.js';

// A small, honest speaker embedding: the average mel-cepstrum of the voiced
// frames (the vocal tract's shape) and the median pitch. Real nodes run a
// neural model; this one needs no weights, yet tells flite's voices apart.
// Voiced frames only, because consonants carry the words, vowels the voice:
// over all frames, one speaker's sentences differed more than two speakers.

const FRAME = 400; // 25 ms
const HOP = 160; // 10 ms
const FFT_SIZE = 512;
const MEL_BANDS = 26;
const CEPSTRA = 12; // c1..c12: c0 is loudness, not voice
/** Frames quieter than the loudest by more than this are pauses, not speech. */
const SPEECH_RANGE_DB = 30;
const MIN_F0 = 60;
const MAX_F0 = 400;
/** Weight of log-pitch against the cepstra: pitch alone separates most voices. */
const PITCH_WEIGHT = 8;

export const EMBEDDING_MODEL = 'ref-mfcc-pitch-1';
export const EMBEDDING_DIMS = CEPSTRA + 1;

export class TooLittleSpeechError extends Error {
  override readonly name = 'TooLittleSpeechError';
}

export function speakerEmbedding(pcm: Int16Array): Float32Array {
  const voiced = speechFrames(pcm).flatMap((frame) => {
    const f0 = pitchOf(frame);
    return f0 === undefined ? [] : [{ frame, f0 }];
  });
  if (voiced.length < 20) throw new TooLittleSpeechError(`only ${voiced.length * 10} ms of voiced speech; need at least 200 ms`);
  const mean = new Float64Array(CEPSTRA);
  for (const { frame } of voiced) {
    const c = mfcc(frame);
    for (let i = 0; i < CEPSTRA; i++) mean[i]! += c[i]! / voiced.length;
  }
  const pitches = voiced.map((v) => v.f0).sort((a, b) => a - b);
  const f0 = pitches[pitches.length >> 1]!;
  return Float32Array.from([...mean, PITCH_WEIGHT * Math.log2(f0 / 100)]);
}

/**
 * 1 for identical embeddings, falling as voices differ. Measured on flite's
 * voices over different sentences: the same voice scores 0.65 or more, two
 * voices 0.35 or less, even on two-second excerpts.
 */
export function similarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += (a[i]! - (b[i] ?? 0)) ** 2;
  return 1 - Math.sqrt(d) / 10;
}

/** Below this, a segment is left unlabelled rather than pinned on the nearest enrolled voice. */
export const MATCH_THRESHOLD = 0.5;

function speechFrames(pcm: Int16Array): Float64Array[] {
  const frames: Float64Array[] = [];
  const energies: number[] = [];
  for (let start = 0; start + FRAME <= pcm.length; start += HOP) {
    const f = new Float64Array(FRAME);
    let e = 0;
    for (let i = 0; i < FRAME; i++) {
      f[i] = pcm[start + i]! / 32768;
      e += f[i]! ** 2;
    }
    frames.push(f);
    energies.push(10 * Math.log10(e / FRAME + 1e-12));
  }
  const loudest = Math.max(...energies);
  return frames.filter((_, i) => energies[i]! > loudest - SPEECH_RANGE_DB);
}

const hamming = Float64Array.from({ length: FRAME }, (_, i) => 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (FRAME - 1)));
const melOf = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
const hzOf = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);

const filterbank: Float64Array[] = (() => {
  const lo = melOf(60);
  const hi = melOf(7600);
  const edges = Array.from({ length: MEL_BANDS + 2 }, (_, i) => (hzOf(lo + ((hi - lo) * i) / (MEL_BANDS + 1)) * FFT_SIZE) / PCM_RATE);
  return Array.from({ length: MEL_BANDS }, (_, b) => {
    const [l, c, r] = [edges[b]!, edges[b + 1]!, edges[b + 2]!];
    return Float64Array.from({ length: FFT_SIZE / 2 + 1 }, (_, k) => (k < l || k > r ? 0 : k <= c ? (k - l) / (c - l) : (r - k) / (r - c)));
  });
})();

function mfcc(frame: Float64Array): Float64Array {
  const re = new Float64Array(FFT_SIZE);
  const im = new Float64Array(FFT_SIZE);
  // Pre-emphasis lifts the highs the voice tract shapes, as speech front ends do.
  for (let i = 0; i < FRAME; i++) re[i] = (frame[i]! - (i > 0 ? 0.97 * frame[i - 1]! : 0)) * hamming[i]!;
  fft(re, im);
  const power = Float64Array.from({ length: FFT_SIZE / 2 + 1 }, (_, k) => re[k]! ** 2 + im[k]! ** 2);
  const logMel = filterbank.map((w) => Math.log(w.reduce((s, wk, k) => s + wk * power[k]!, 0) + 1e-10));
  return Float64Array.from({ length: CEPSTRA }, (_, n) =>
    logMel.reduce((s, v, m) => s + v * Math.cos((Math.PI * (n + 1) * (m + 0.5)) / MEL_BANDS), 0) * Math.sqrt(2 / MEL_BANDS),
  );
}

/** Autocorrelation pitch; undefined for frames without a clear period (unvoiced sounds). */
function pitchOf(frame: Float64Array): number | undefined {
  const minLag = Math.floor(PCM_RATE / MAX_F0);
  const maxLag = Math.ceil(PCM_RATE / MIN_F0);
  let zero = 0;
  for (let i = 0; i < FRAME; i++) zero += frame[i]! ** 2;
  let best = 0;
  let bestLag = 0;
  for (let lag = minLag; lag <= maxLag && lag < FRAME; lag++) {
    let r = 0;
    for (let i = 0; i + lag < FRAME; i++) r += frame[i]! * frame[i + lag]!;
    if (r > best) {
      best = r;
      bestLag = lag;
    }
  }
  return zero > 0 && best / zero > 0.5 ? PCM_RATE / bestLag : undefined;
}

/** In-place radix-2 FFT; n must be a power of two. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const [ar, ai] = [re[i + k]!, im[i + k]!];
        const [br, bi] = [re[i + k + len / 2]!, im[i + k + len / 2]!];
        const tr = br * wr - bi * wi;
        const ti = br * wi + bi * wr;
        re[i + k] = ar + tr;
        im[i + k] = ai + ti;
        re[i + k + len / 2] = ar - tr;
        im[i + k + len / 2] = ai - ti;
      }
    }
  }
}
