import { cueTime } from './cue-times.js';
import type { OaiTranscript } from './transcript.js';

/** SubRip: numbered cues from 1, a blank line after each. */
export function toSrt(t: OaiTranscript): string {
  return t.segments.map((s, i) => `${i + 1}\n${cueTime(s.start_ms, ',')} --> ${cueTime(s.end_ms, ',')}\n${s.text}\n\n`).join('');
}
