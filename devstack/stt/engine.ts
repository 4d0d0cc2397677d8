import { performance } from 'node:perf_hooks';
import { parseWavHeader } from '../../lib/audio/wav.js';
import { pocketsphinxIncremental, type IncrementalDecoder } from './incremental.js';
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

/** What live decoding runs on (live.ts): an engine for partials, one for finals. */
export interface LiveEngines {
  /** partials by re-decoding the growing utterance: for a stream the incremental decoder cannot take */
  partials: SttEngine;
  /** partials fed as the audio arrives */
  incremental?: IncrementalDecoder;
  finals: SttEngine;
}

/**
 * One per node. Partials come every few hundred ms, faster than Whisper
 * decodes at all on a CPU, so both real engines take theirs from pocketsphinx's
 * incremental decoder and their finals from themselves; the instant engine
 * answers both at once.
 */
export function liveEngines(engine: SttEngine): LiveEngines {
  if (engine.kind === 'instant') return { partials: engine, finals: engine };
  return { partials: engine.kind === 'whisper' ? pocketsphinxEngine() : engine, incremental: pocketsphinxIncremental(), finals: engine };
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
