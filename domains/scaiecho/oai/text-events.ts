import type { OaiTranscript } from './transcript.js';

/**
 * The server-sent events of `stream=true`, as OpenAI sends them: `data:` lines
 * of `transcript.text.delta` whose deltas add up to the text, then one
 * `transcript.text.done`. The backends answer a whole recording at once, so
 * the deltas are its segments, sent together once it is transcribed; a text
 * that is not its segments joined by spaces goes as one delta.
 */
export function toTextEvents(t: OaiTranscript): string {
  const parts = t.segments.map((s, i) => (i === 0 ? s.text : ` ${s.text}`));
  const deltas = parts.join('') === t.text ? parts : [t.text];
  const events = [
    ...deltas.filter((d) => d !== '').map((delta) => ({ type: 'transcript.text.delta', delta })),
    { type: 'transcript.text.done', text: t.text },
  ];
  return events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('');
}
