import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseWavHeader, type WavInfo } from '../../lib/audio/wav.js';
import { UndecodableAudioError, type EngineProcesses } from './transcript.js';

// The steps the real engines share: any container in, 16 kHz mono 16-bit WAV
// out (what pocketsphinx and Whisper both decode), and child processes that a
// cancelled call kills.

// Containers only: raw sample formats would "decode" any bytes at all into noise.
const CONTAINERS = new Set(['wav', 'flac', 'ogg', 'aiff', 'aif', 'au', 'w64', 'caf']);

/** Converts the audio into a 16 kHz WAV in a temporary folder, runs recognise on it, removes the folder. */
export async function withPcm16k<T>(
  processes: EngineProcesses,
  audio: Uint8Array,
  format: string,
  signal: AbortSignal | undefined,
  recognise: (pcmPath: string, wav: WavInfo) => Promise<T>,
): Promise<T> {
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
    return await recognise(pcm, wav);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one engine step. A cancelled call must not leave it decoding: an aborted
 * signal SIGKILLs the child (nothing of its output is wanted), and a signal
 * aborted before the step starts spawns nothing at all.
 */
export function run(processes: EngineProcesses, command: string, args: string[], signal?: AbortSignal): Promise<Exit> {
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
