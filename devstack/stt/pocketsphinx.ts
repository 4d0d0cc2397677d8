import { performance } from 'node:perf_hooks';
import { lastLine, run, withPcm16k } from './engine-steps.js';
import { joinText, LANGUAGE, type EngineProcesses, type SttEngine, type TranscriptSegment } from './transcript.js';

// pocketsphinx_continuous on the 16 kHz WAV: fast (a few hundred ms for a
// phrase), close to the words on clear speech but not word for word. Whisper
// (whisper.ts) gets the words right; this one is quick enough to re-decode a
// growing utterance for live partials.

const SEGMENT_PAUSE_MS = 300;

export function pocketsphinxEngine(): SttEngine {
  const processes: EngineProcesses = { running: 0, killedOnCancel: 0 };
  return {
    kind: 'pocketsphinx',
    processes,
    // A process per decode: nothing to load first.
    ready: Promise.resolve(),
    transcribe: (audio, format, signal) => {
      const started = performance.now();
      return withPcm16k(processes, audio, format, signal, async (pcm, wav) => {
        const ps = await run(processes, 'pocketsphinx_continuous', ['-infile', pcm, '-time', 'yes'], signal);
        // pocketsphinx exits 0 even after a FATAL error.
        if (ps.code !== 0 || /^FATAL/m.test(ps.stderr)) throw new Error(`pocketsphinx failed: ${lastLine(ps.stderr)}`);
        const segments = segmentsOf(ps.stdout, wav.durationMs);
        return { text: joinText(segments), segments, language: LANGUAGE, audioDurationMs: wav.durationMs, engineMs: Math.round(performance.now() - started) };
      });
    },
  };
}

interface Word {
  text: string;
  startMs: number;
  endMs: number;
}

/** `-time yes` prints each utterance's hypothesis, then "word start end confidence" lines in seconds. */
function segmentsOf(stdout: string, durationMs: number): TranscriptSegment[] {
  const words: Word[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) -?\d+(?:\.\d+)?$/.exec(line.trim());
    // <s>, </s>, <sil> and [NOISE]-style fillers are not speech.
    if (!m || /^[<[+]/.test(m[1]!)) continue;
    words.push({
      // Alternative pronunciations come back as "the(2)".
      text: m[1]!.replace(/\(\d+\)$/, ''),
      startMs: Math.min(Math.round(Number(m[2]) * 1000), durationMs),
      endMs: Math.min(Math.round(Number(m[3]) * 1000), durationMs),
    });
  }
  const segments: TranscriptSegment[] = [];
  let current: Word[] = [];
  const flush = (): void => {
    if (current.length === 0) return;
    segments.push({ startMs: current[0]!.startMs, endMs: current.at(-1)!.endMs, text: current.map((w) => w.text).join(' ') });
    current = [];
  };
  for (const word of words) {
    const previous = current.at(-1);
    if (previous && word.startMs - previous.endMs > SEGMENT_PAUSE_MS) flush();
    current.push(word);
  }
  flush();
  return segments;
}
