import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseWavHeader } from '../../lib/audio/wav.js';

// The recogniser behind both reference STT servers. 'pocketsphinx' does real
// recognition (sox to 16 kHz mono 16-bit, then pocketsphinx_continuous);
// 'instant' answers a fixed transcript at once so benchmarks measure our code,
// not the engine, yet still rejects what is not a WAV file.

export type EngineKind = 'pocketsphinx' | 'instant';
export const ENGINE_KINDS: readonly EngineKind[] = ['pocketsphinx', 'instant'];

export interface TranscriptSegment {
  startMs: number;
  endMs: number;
  text: string;
}

export interface Transcript {
  text: string;
  segments: TranscriptSegment[];
  language: string;
  audioDurationMs: number;
  engineMs: number;
}

/** The engine's child processes (sox, pocketsphinx), as a server's /stats shows them. */
export interface EngineProcesses {
  /** Alive now: spawned and not yet exited. */
  running: number;
  /** Ended by SIGKILL because the call they worked for was cancelled. */
  killedOnCancel: number;
}

export interface SttEngine {
  readonly kind: EngineKind;
  /** format is a container name such as "wav"; aborting the signal kills the engine's processes. */
  transcribe(audio: Uint8Array, format: string, signal?: AbortSignal): Promise<Transcript>;
  readonly processes: Readonly<EngineProcesses>;
}

/** The /stats keys both reference servers show for their engine. */
export function engineStats(engine: SttEngine): { engine_processes_running: number; engine_processes_killed: number } {
  return { engine_processes_running: engine.processes.running, engine_processes_killed: engine.processes.killedOnCancel };
}

/** The input is not audio the engine can read: retrying the same bytes cannot help. */
export class UndecodableAudioError extends Error {
  override readonly name = 'UndecodableAudioError';
}

export const INSTANT_TEXT = 'instant transcript';

// Containers only: raw sample formats would "decode" any bytes at all into noise.
const CONTAINERS = new Set(['wav', 'flac', 'ogg', 'aiff', 'aif', 'au', 'w64', 'caf']);
const SEGMENT_PAUSE_MS = 300;
const LANGUAGE = 'en';

/** One per server: the process counters are the server's own. */
export function createEngine(kind: EngineKind): SttEngine {
  return kind === 'instant' ? instantEngine : pocketsphinxEngine();
}

const instantEngine: SttEngine = {
  kind: 'instant',
  processes: { running: 0, killedOnCancel: 0 },
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

function pocketsphinxEngine(): SttEngine {
  const processes: EngineProcesses = { running: 0, killedOnCancel: 0 };
  return { kind: 'pocketsphinx', processes, transcribe: (audio, format, signal) => decode(processes, audio, format, signal) };
}

async function decode(processes: EngineProcesses, audio: Uint8Array, format: string, signal?: AbortSignal): Promise<Transcript> {
  const started = performance.now();
  const container = format.toLowerCase() === 'wave' ? 'wav' : format.toLowerCase();
  if (!CONTAINERS.has(container)) throw new UndecodableAudioError(`unsupported audio format ${JSON.stringify(format)}`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stt-engine-'));
  try {
    const input = path.join(dir, `input.${container}`);
    const pcm = path.join(dir, 'pcm.wav');
    await fs.writeFile(input, audio);
    const soxArgs = ['-q', '-t', container, input, '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', pcm];
    const sox = await run(processes, 'sox', soxArgs, signal);
    if (sox.code !== 0) throw new UndecodableAudioError(`sox cannot decode the audio: ${lastLine(sox.stderr)}`);
    // sox reads some broken headers (65535 channels, say) as a stream of no samples at all: the
    // input's fault, answered as such, as a real engine does, not as the engine failing.
    const wav = parseWavHeader(await fs.readFile(pcm));
    if (!wav) throw new UndecodableAudioError('the audio holds no samples sox can read');
    const ps = await run(processes, 'pocketsphinx_continuous', ['-infile', pcm, '-time', 'yes'], signal);
    // pocketsphinx exits 0 even after a FATAL error.
    if (ps.code !== 0 || /^FATAL/m.test(ps.stderr)) throw new Error(`pocketsphinx failed: ${lastLine(ps.stderr)}`);
    const segments = segmentsOf(ps.stdout, wav.durationMs);
    return {
      text: segments.map((s) => s.text).join(' '),
      segments,
      language: LANGUAGE,
      audioDurationMs: wav.durationMs,
      engineMs: Math.round(performance.now() - started),
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
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

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one engine step. A cancelled call must not leave it decoding: an aborted
 * signal SIGKILLs the child (nothing of its output is wanted), and a signal
 * aborted before the step starts spawns nothing at all.
 */
function run(processes: EngineProcesses, command: string, args: string[], signal?: AbortSignal): Promise<Exit> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], signal, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    // pocketsphinx logs a lot; only the end explains a failure.
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-8192)));
    let spawned = false;
    child.once('spawn', () => {
      spawned = true;
      processes.running++;
    });
    child.once('error', reject);
    // 'exit', not 'close': the process is gone, whatever still holds its pipes.
    child.once('exit', (_code, killedBy) => {
      if (!spawned) return;
      processes.running--;
      if (killedBy === 'SIGKILL' && signal?.aborted) processes.killedOnCancel++;
    });
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
