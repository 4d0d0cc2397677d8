import { AppError } from '../errors.js';
import { decodePcm, PCM_RATE } from './pcm.js';
import type { StreamFigures } from './validate.js';

// The enrollment preflight: a speaker profile is only as good as its reference
// recording, and a person at a microphone can fix every one of these problems
// in seconds, so each comes back as a sentence telling them how.

interface QualityLimits {
  minDurationMs: number;
  maxDurationMs: number;
}

export interface QualityReport {
  duration_ms: number;
  sample_rate: number;
  /** Share of 25 ms frames loud enough to be speech. */
  speech_ratio: number;
  /** Share of samples at or next to full scale. */
  clipped_ratio: number;
  /** Average level of the speech frames, dB relative to full scale. */
  speech_level_dbfs: number;
}

interface QualityProblem {
  code: 'too_short' | 'too_long' | 'low_sample_rate' | 'mostly_silence' | 'clipped' | 'too_quiet' | 'too_loud';
  message: string;
}

// Below 16 kHz the frequencies that tell voices apart are already gone; resampling cannot bring them back.
const MIN_SAMPLE_RATE = 16_000;
const FRAME_MS = 25;
// A frame is speech when it is within 30 dB of the loudest frame (pauses and
// breaths fall further) and above -55 dBFS (a silent room stays below), so a
// quiet recording counts as quiet speech, not as silence.
const SPEECH_RANGE_DB = 30;
const SILENCE_DBFS = -55;
const MIN_SPEECH_RATIO = 0.3;
const CLIP_LEVEL = 32_600;
// A few clipped samples are inaudible; one in a thousand distorts the spectrum the embedding reads.
const MAX_CLIPPED_RATIO = 0.001;
const MIN_SPEECH_DBFS = -35;
const MAX_SPEECH_DBFS = -6;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/**
 * `probe` is the recording's header, already checked by probeAudio. A report
 * comes back unless the recording is too long: that is known from the header,
 * and decoding it whole to say so would cost what the limit is there to spare.
 */
export async function assessSpeechQuality(
  file: string,
  probe: StreamFigures,
  limits: QualityLimits,
): Promise<{ report: QualityReport | undefined; problems: QualityProblem[] }> {
  const { durationMs, sampleRate } = probe;
  if (durationMs > limits.maxDurationMs) {
    const message = `the recording is ${seconds(durationMs)} long; keep it under ${seconds(limits.maxDurationMs)}`;
    return { report: undefined, problems: [{ code: 'too_long', message }] };
  }
  // sox's own words stay out of the answer: they describe our decoder, not the recording.
  const pcm = await decodePcm(file).catch(() => {
    throw new AppError('AUDIO_UNDECODABLE', 'the recording could not be decoded');
  });
  const report = measure(pcm, durationMs, sampleRate);
  const problems: QualityProblem[] = [];
  const problem = (code: QualityProblem['code'], message: string): void => void problems.push({ code, message });

  if (durationMs < limits.minDurationMs) {
    problem('too_short', `the recording is ${seconds(durationMs)} long; record at least ${seconds(limits.minDurationMs)} of the speaker talking`);
  }
  if (sampleRate < MIN_SAMPLE_RATE) {
    problem('low_sample_rate', `the recording was made at ${sampleRate} Hz; record at 16 kHz or more (phone-line audio has lost what tells voices apart)`);
  }
  if (report.speech_ratio < MIN_SPEECH_RATIO) {
    problem('mostly_silence', `only ${Math.round(report.speech_ratio * 100)}% of the recording is speech; talk throughout and trim long pauses`);
  } else if (report.speech_level_dbfs < MIN_SPEECH_DBFS) {
    problem('too_quiet', `the speech is too quiet (${report.speech_level_dbfs.toFixed(0)} dBFS); move closer to the microphone or raise its gain`);
  } else if (report.speech_level_dbfs > MAX_SPEECH_DBFS) {
    problem('too_loud', `the speech is too loud (${report.speech_level_dbfs.toFixed(0)} dBFS); lower the microphone gain`);
  }
  if (report.clipped_ratio > MAX_CLIPPED_RATIO) {
    problem('clipped', `${(report.clipped_ratio * 100).toFixed(1)}% of the samples are clipped; lower the microphone gain and record again`);
  }
  return { report, problems };
}

function measure(pcm: Int16Array, durationMs: number, sampleRate: number): QualityReport {
  const frame = (PCM_RATE * FRAME_MS) / 1000;
  const energies: number[] = [];
  let clipped = 0;
  for (let start = 0; start + frame <= pcm.length; start += frame) {
    let energy = 0;
    for (let i = start; i < start + frame; i++) {
      const s = pcm[i]!;
      energy += (s / 32768) ** 2;
      if (s >= CLIP_LEVEL || s <= -CLIP_LEVEL) clipped++;
    }
    energies.push(energy / frame);
  }
  const dbfs = (energy: number): number => 10 * Math.log10(energy + 1e-12);
  const floor = Math.max(dbfs(Math.max(0, ...energies)) - SPEECH_RANGE_DB, SILENCE_DBFS);
  const speech = energies.filter((e) => dbfs(e) > floor);
  const frames = energies.length;
  const speechFrames = speech.length;
  const speechEnergy = speech.reduce((a, b) => a + b, 0);
  const round = (v: number, digits: number): number => Number(v.toFixed(digits));
  return {
    duration_ms: durationMs,
    sample_rate: sampleRate,
    speech_ratio: round(frames ? speechFrames / frames : 0, 3),
    clipped_ratio: round(pcm.length ? clipped / pcm.length : 0, 5),
    speech_level_dbfs: round(speechFrames ? 10 * Math.log10(speechEnergy / speechFrames) : -120, 1),
  };
}
