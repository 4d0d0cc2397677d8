import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { projectFile } from '../../lib/infra/project-files.js';
import { withPcm16k } from './engine-steps.js';
import { joinText, LANGUAGE, type EngineProcesses, type SttEngine, type TranscriptSegment } from './transcript.js';

// Whisper tiny.en (faster-whisper, int8 on the CPU): the reference engine that
// gets the words right. The model takes two seconds to load, so one Python
// process (whisper-worker.py) holds it for the engine's life and decodes one
// file at a time, in turn. A cancelled call's decode cannot be interrupted
// inside the model, so the process is SIGKILLed and the next call starts a
// fresh one: the engine stops, as the other engines' do.
// scripts/ensure-tools.sh installs faster-whisper and the weights (pinned).

const PYTHON = process.env.SCAIINFER_SPEECH_PYTHON || projectFile('.devstack', 'speech-venv', 'bin', 'python');
/** Another CTranslate2 Whisper model's folder; by default, the pinned tiny.en. */
const MODEL_DIR = process.env.SCAIINFER_WHISPER_MODEL;
const WORKER = projectFile('devstack', 'stt', 'whisper-worker.py');

interface Answer {
  ready?: boolean;
  segments?: { start_ms: number; end_ms: number; text: string }[];
  duration_ms?: number;
  error?: string;
}

/** One worker process: its model, loaded once; one question at a time. */
class Worker {
  private readonly child: ChildProcess;
  private readonly answers: ((a: Answer) => void)[] = [];
  private stderr = '';
  readonly ready: Promise<void>;
  exited = false;

  constructor() {
    this.child = spawn(PYTHON, MODEL_DIR ? [WORKER, MODEL_DIR] : [WORKER], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HF_HUB_OFFLINE: '1' } });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr = (this.stderr + s).slice(-4096)));
    const lines = readline.createInterface({ input: this.child.stdout! });
    lines.on('line', (line) => this.answers.shift()?.(JSON.parse(line) as Answer));
    this.ready = this.next().then((a) => {
      if (!a.ready) throw new Error(`whisper worker did not start: ${a.error ?? this.stderr.trim()}`);
    });
    this.ready.catch(() => undefined);
    this.child.once('error', (err) => this.gone(err.message));
    this.child.once('exit', (code, sig) => this.gone(`whisper worker exited (${sig ?? code}): ${this.stderr.trim().split('\n').at(-1) ?? ''}`));
  }

  async ask(path: string): Promise<Answer> {
    await this.ready;
    const answer = this.next();
    this.child.stdin!.write(`${JSON.stringify({ path })}\n`);
    return answer;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  private next(): Promise<Answer> {
    if (this.exited) return Promise.resolve({ error: 'whisper worker is gone' });
    return new Promise((resolve) => this.answers.push(resolve));
  }

  private gone(why: string): void {
    this.exited = true;
    for (const answer of this.answers.splice(0)) answer({ error: why });
  }
}

export function whisperEngine(): SttEngine {
  const processes: EngineProcesses = { running: 0, killedOnCancel: 0 };
  let worker = new Worker();
  let turn: Promise<unknown> = Promise.resolve();

  async function decode(pcmPath: string, signal?: AbortSignal): Promise<Answer> {
    if (signal?.aborted) throw signal.reason;
    if (worker.exited) worker = new Worker();
    const current = worker;
    processes.running++;
    const onAbort = (): void => {
      processes.killedOnCancel++;
      current.kill();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const answer = await current.ask(pcmPath);
      if (signal?.aborted) throw signal.reason;
      return answer;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      processes.running--;
    }
  }

  return {
    kind: 'whisper',
    processes,
    transcribe(audio, format, signal) {
      const started = performance.now();
      return withPcm16k(processes, audio, format, signal, async (pcmPath, wav) => {
        const answered = turn.then(() => decode(pcmPath, signal));
        turn = answered.catch(() => undefined);
        const answer = await answered;
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
