import { AppError } from '../errors.js';
import type { WavInfo } from './wav.js';

// A recording's header is the client's claim, and every figure in it sizes the
// work downstream: a WAV saying its sample rate is 1 made 32 KB count as 4.4
// hours, and a backend wrote half a gigabyte decoding it. So the figures are
// checked for plausibility, and the duration against the caller's limit,
// before anything is stored or dispatched.

/** The rates recorders and codecs produce; anything else is a broken or hostile header. */
const SUPPORTED_SAMPLE_RATES: readonly number[] = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000];
const MAX_CHANNELS = 2;

/** The figures every container yields, from its own header or from sox. */
export interface StreamFigures {
  sampleRate: number;
  channels: number;
  durationMs: number;
}

/** Bits per sample each uncompressed codec can carry; other codecs are left to the backend's decoder. */
const SAMPLE_BITS: Record<number, readonly number[]> = {
  1: [8, 16, 24, 32],
  3: [32, 64],
  6: [8],
  7: [8],
};

const undecodable = (what: string): AppError => new AppError('AUDIO_UNDECODABLE', what);

/**
 * Throws 400 AUDIO_UNDECODABLE naming the first figure that cannot be right,
 * or 413 AUDIO_TOO_LONG. A WAV header's own figures are checked once the
 * stream's shape is known to be sane, and before its duration is trusted.
 */
export function checkStream(s: StreamFigures, container: string, limits: { maxDurationMs: number }, wav?: WavInfo): void {
  if (!SUPPORTED_SAMPLE_RATES.includes(s.sampleRate)) {
    throw undecodable(`the ${container} header gives a sample rate of ${s.sampleRate} Hz; supported: ${SUPPORTED_SAMPLE_RATES.join(', ')} Hz`);
  }
  if (!Number.isInteger(s.channels) || s.channels < 1 || s.channels > MAX_CHANNELS) {
    throw undecodable(`the ${container} header gives ${s.channels} channels; send mono or stereo audio`);
  }
  if (wav) checkWavHeader(wav);
  if (!(s.durationMs > 0)) throw undecodable(`the ${container} audio holds no samples`);
  if (s.durationMs > limits.maxDurationMs) {
    throw new AppError('AUDIO_TOO_LONG', `the audio is ${describeDuration(s.durationMs)} long; the longest accepted is ${describeDuration(limits.maxDurationMs)}`, {
      audio_duration_ms: s.durationMs,
      max_audio_duration_ms: limits.maxDurationMs,
    });
  }
}

/** The WAV-only figures: sample size and the byte arithmetic that times the stream, and the data size against the upload. */
function checkWavHeader(w: WavInfo): void {
  const bits = SAMPLE_BITS[w.formatTag];
  if (bits) {
    if (!bits.includes(w.bitsPerSample)) throw undecodable(`the WAV header gives ${w.bitsPerSample} bits per sample, which its codec cannot carry`);
    const blockAlign = (w.channels * w.bitsPerSample) / 8;
    if (w.blockAlign !== blockAlign || w.byteRate !== w.sampleRate * blockAlign) {
      throw undecodable(
        `the WAV header is inconsistent: ${w.channels} channels of ${w.bitsPerSample} bits at ${w.sampleRate} Hz ` +
          `make ${blockAlign} bytes per frame and ${w.sampleRate * blockAlign} bytes per second, not ${w.blockAlign} and ${w.byteRate}`,
      );
    }
  } else if (w.bitsPerSample > 64 || w.blockAlign === 0) {
    throw undecodable(`the WAV header gives ${w.bitsPerSample} bits per sample and ${w.blockAlign} bytes per block`);
  }
  if (w.declaredDataBytes !== undefined && w.declaredDataBytes > w.dataBytes) {
    throw undecodable(`the WAV header announces ${w.declaredDataBytes} bytes of audio but the upload holds ${w.dataBytes}; the file is truncated`);
  }
}

function describeDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 120) return `${Number(s.toFixed(1))} s`;
  if (s < 7200) return `${Number((s / 60).toFixed(1))} min`;
  return `${Number((s / 3600).toFixed(1))} h`;
}
