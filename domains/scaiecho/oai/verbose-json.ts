import type { OaiTranscript } from './transcript.js';

const seconds = (ms: number): number => ms / 1000;

/**
 * OpenAI's verbose_json. Segments carry what our backends know (id, start,
 * end, text); Whisper's decoder statistics (seek, tokens, avg_logprob,
 * compression_ratio, no_speech_prob) are left out rather than made up. No
 * `words`: the backends report segment times only, and a request for word
 * times is refused before any work (oai/transcription.ts).
 */
export function toVerboseJson(t: OaiTranscript) {
  return {
    task: 'transcribe' as const,
    language: t.language,
    duration: seconds(t.durationMs),
    text: t.text,
    segments: t.segments.map((s, id) => ({ id, start: seconds(s.start_ms), end: seconds(s.end_ms), text: s.text })),
    usage: { type: 'duration' as const, seconds: seconds(t.durationMs) },
  };
}

/** OpenAI's json: the text, and the audio billed (duration usage, as whisper-1 reports it). */
export function toJson(t: OaiTranscript) {
  return { text: t.text, usage: { type: 'duration' as const, seconds: seconds(t.durationMs) } };
}
