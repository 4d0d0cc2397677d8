import { spawn } from 'node:child_process';

// Speech analysis (the enrollment preflight, speaker embeddings) works on one
// shape of audio: 16 kHz mono signed 16-bit samples, as sox decodes any container to.

export const PCM_RATE = 16_000;

class PcmDecodeError extends Error {
  override readonly name = 'PcmDecodeError';
}

/** Decodes an audio file of any container sox reads; `format` is its extension when the name does not carry one. */
export function decodePcm(file: string, opts: { format?: string; signal?: AbortSignal } = {}): Promise<Int16Array> {
  const input = opts.format ? ['-t', opts.format, file] : [file];
  return new Promise((resolve, reject) => {
    const sox = spawn('sox', ['-q', ...input, '-t', 'raw', '-r', String(PCM_RATE), '-c', '1', '-b', '16', '-e', 'signed-integer', '-L', '-'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: opts.signal,
      killSignal: 'SIGKILL',
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    sox.stdout.on('data', (c: Buffer) => chunks.push(c));
    sox.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2048)));
    sox.once('error', reject);
    sox.once('close', (code) => {
      if (code !== 0) return reject(new PcmDecodeError(`sox cannot decode the audio: ${stderr.trim().split('\n').at(-1) ?? code}`));
      const bytes = Buffer.concat(chunks);
      // Copied into an aligned buffer: a Buffer's byteOffset need not be even.
      const samples = new Int16Array(bytes.length >> 1);
      for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
      resolve(samples);
    });
  });
}
