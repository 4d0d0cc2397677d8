import { cueTime } from './cue-times.js';
import type { OaiTranscript } from './transcript.js';

/** WebVTT: the header, then a cue per segment, each followed by a blank line. */
export function toVtt(t: OaiTranscript): string {
  return `WEBVTT\n\n${t.segments.map((s) => `${cueTime(s.start_ms, '.')} --> ${cueTime(s.end_ms, '.')}\n${s.text}\n\n`).join('')}`;
}
