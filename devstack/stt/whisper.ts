import { performance } from 'node:perf_hooks';
import { projectFile } from '../../lib/infra/project-files.js';
import { PythonWorker } from '../python-worker.js';
import { withPcm16k } from './engine-steps.js';
import { joinText, LANGUAGE, type EngineProcesses, type SttEngine, type TranscriptSegment } from './transcript.js';

// Whisper tiny.en (faster-whisper, int8 on the CPU): the reference engine that
// gets the words right. The model takes two seconds to load, so one Python
// process (devstack/python/whisper_worker.py, through python-worker.ts) holds it for the
// engine's life. scripts/ensure-tools.sh installs faster-whisper and the
// weights, pinned.

/** Another CTranslate2 Whisper model's folder; by default, the pinned tiny.en. */
const MODEL_DIR = process.env.SCAIINFER_WHISPER_MODEL;

interface Segments {
  segments?: { start_ms: number; end_ms: number; text: string }[];
}

export function whisperEngine(): SttEngine {
  const worker = new PythonWorker(projectFile('devstack', 'python', 'whisper_worker.py'), MODEL_DIR ? [MODEL_DIR] : [], { HF_HUB_OFFLINE: '1' });
  // sox's steps and the worker's decodes, counted together as the engine's processes.
  const steps: EngineProcesses = { running: 0, killedOnCancel: 0 };
  const processes = {
    get running() {
      return steps.running + worker.counters.running;
    },
    get killedOnCancel() {
      return steps.killedOnCancel + worker.counters.killedOnCancel;
    },
  };
  return {
    kind: 'whisper',
    processes,
    ready: worker.ready,
    transcribe(audio, format, signal) {
      const started = performance.now();
      return withPcm16k(steps, audio, format, signal, async (pcmPath, wav) => {
        const answer = (await worker.ask({ path: pcmPath }, signal)) as Segments & { error?: string };
        if (answer.error !== undefined || !answer.segments) throw new Error(`whisper failed: ${answer.error ?? 'no answer'}`);
        const segments: TranscriptSegment[] = answer.segments.map((s) => ({
          startMs: Math.min(s.start_ms, wav.durationMs),
          endMs: Math.min(s.end_ms, wav.durationMs),
          text: s.text,
        }));
        return { text: joinText(segments), segments, language: LANGUAGE, audioDurationMs: wav.durationMs, engineMs: Math.round(performance.now() - started) };
      });
    },
  };
}
