import { describe, expect, it } from 'vitest';
import { cueTime } from '../domains/scaiecho/oai/cue-times.js';
import { toSrt } from '../domains/scaiecho/oai/srt.js';
import { toTextEvents } from '../domains/scaiecho/oai/text-events.js';
import type { OaiTranscript } from '../domains/scaiecho/oai/transcript.js';
import { toJson, toVerboseJson } from '../domains/scaiecho/oai/verbose-json.js';
import { toVtt } from '../domains/scaiecho/oai/vtt.js';

// The OpenAI-compatible answer formats, from a stored transcript.

const t: OaiTranscript = {
  jobId: '01890000-0000-7000-8000-000000000001',
  text: 'hello there general kenobi',
  segments: [
    { start_ms: 120, end_ms: 1_480, text: 'hello there' },
    { start_ms: 3_723_004, end_ms: 3_725_999, text: 'general kenobi' },
  ],
  language: 'en',
  durationMs: 3_726_500,
};

const events = (sse: string): unknown[] =>
  sse
    .split('\n\n')
    .filter((e) => e !== '')
    .map((e) => {
      expect(e).toMatch(/^data: /);
      return JSON.parse(e.slice('data: '.length)) as unknown;
    });

describe('OpenAI-compatible formats', () => {
  it('cue times are HH:MM:SS with milliseconds, past an hour too', () => {
    expect(cueTime(0, ',')).toBe('00:00:00,000');
    expect(cueTime(3_723_004, '.')).toBe('01:02:03.004');
    expect(cueTime(59_999.6, ',')).toBe('00:01:00,000');
  });

  it('SRT numbers its cues from 1', () => {
    expect(toSrt(t)).toBe('1\n00:00:00,120 --> 00:00:01,480\nhello there\n\n2\n01:02:03,004 --> 01:02:05,999\ngeneral kenobi\n\n');
  });

  it('WebVTT starts with its header', () => {
    expect(toVtt(t)).toBe('WEBVTT\n\n00:00:00.120 --> 00:00:01.480\nhello there\n\n01:02:03.004 --> 01:02:05.999\ngeneral kenobi\n\n');
    expect(toVtt({ ...t, segments: [], text: '' })).toBe('WEBVTT\n\n');
  });

  it('verbose_json gives seconds, segment ids from 0, and no fields it cannot fill', () => {
    expect(toVerboseJson(t)).toEqual({
      task: 'transcribe',
      language: 'en',
      duration: 3726.5,
      text: t.text,
      segments: [
        { id: 0, start: 0.12, end: 1.48, text: 'hello there' },
        { id: 1, start: 3723.004, end: 3725.999, text: 'general kenobi' },
      ],
      usage: { type: 'duration', seconds: 3726.5 },
    });
    expect(toJson(t)).toEqual({ text: t.text, usage: { type: 'duration', seconds: 3726.5 } });
  });

  it('stream events: deltas that add up to the text, then done', () => {
    expect(events(toTextEvents(t))).toEqual([
      { type: 'transcript.text.delta', delta: 'hello there' },
      { type: 'transcript.text.delta', delta: ' general kenobi' },
      { type: 'transcript.text.done', text: t.text },
    ]);
    // A text that is not its segments joined goes whole; silence is only the done event.
    expect(events(toTextEvents({ ...t, text: 'Hello there, General Kenobi.' }))).toEqual([
      { type: 'transcript.text.delta', delta: 'Hello there, General Kenobi.' },
      { type: 'transcript.text.done', text: 'Hello there, General Kenobi.' },
    ]);
    expect(events(toTextEvents({ ...t, text: '', segments: [] }))).toEqual([{ type: 'transcript.text.done', text: '' }]);
  });
});
