import { performance } from 'node:perf_hooks';
import { parseWavHeader } from '../../lib/audio/wav.js';
import { pocketsphinxEngine } from './pocketsphinx.js';
import { LANGUAGE, UndecodableAudioError, type EngineKind, type SttEngine } from './transcript.js';
import { whisperEngine } from './whisper.js';

// The recognisers behind both reference STT servers. 'whisper' gets the words
// right (whisper.ts); 'pocketsphinx' is real recognition that is quick but
// approximate (pocketsphinx.ts); 'instant' answers a fixed transcript at once
// so benchmarks measure our code, not the engine, yet still rejects what is
// not a WAV file.

export const ENGINE_KINDS: readonly EngineKind[] = ['whisper', 'pocketsphinx', 'instant'];

/** The /stats keys both reference servers show for their engine. */
export function engineStats(engine: SttEngine): { engine_processes_running: number; engine_processes_killed: number } {
  return { engine_processes_running: engine.processes.running, engine_processes_killed: engine.processes.killedOnCancel };
}

export const INSTANT_TEXT = 'instant transcript';

/** One per server: the process counters are the server's own. */
export function createEngine(kind: EngineKind): SttEngine {
  if (kind === 'whisper') return whisperEngine();
  return kind === 'instant' ? instantEngine : pocketsphinxEngine();
}

/**
 * Live decoding's two engines. Partials re-decode the growing utterance every
 * few hundred ms, faster than Whisper decodes at all on a CPU, so a Whisper
 * node takes its partials from pocketsphinx and its finals from Whisper.
 */
export function liveEngines(engine: SttEngine): { partials: SttEngine; finals: SttEngine } {
  return { partials: engine.kind === 'whisper' ? pocketsphinxEngine() : engine, finals: engine };
}

const instantEngine: SttEngine = {
  kind: 'instant',
  processes: { running: 0, killedOnCancel: 0 },
  ready: Promise.resolve(),
  async transcribe(audio) {
    const started = performance.now();
    const wav = parseWavHeader(audio);
    if (!wav) throw new UndecodableAudioError('not a RIFF/WAVE file with fmt and data chunks');
    const segments = wav.durationMs > 0 ? [{ startMs: 0, endMs: wav.durationMs, text: INSTANT_TEXT }] : [];
    return {
      text: segments.length > 0 ? INSTANT_TEXT : '',
      segments,
      language: LANGUAGE,
      audioDurationMs: wav.durationMs,
      engineMs: Math.round(performance.now() - started),
    };
  },
};
