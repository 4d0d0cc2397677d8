import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import { AppError } from '../errors.js';
import { sniffAudioFormat, type AudioFormat } from './format.js';
import { parseWavHeader } from './wav.js';

const run = promisify(execFile);

export interface AudioProbe {
  format: AudioFormat;
  durationMs: number;
}

/**
 * 415 for what is not audio at all, 400 for audio we cannot decode: decided
 * before anything is stored or dispatched. WAV is read directly; other
 * containers are timed by sox, which the stack installs.
 */
export async function probeAudio(file: string, bytes: number): Promise<AudioProbe> {
  if (bytes === 0) throw new AppError('VALIDATION_ERROR', 'the uploaded file is empty');
  const handle = await fs.open(file, 'r');
  const head = Buffer.alloc(Math.min(bytes, 64 * 1024));
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  const format = sniffAudioFormat(head);
  if (!format) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'the uploaded file is not audio (supported: wav, flac, ogg, mp3, m4a, webm)');
  }
  if (format === 'wav') {
    const info = parseWavHeader(head, bytes);
    if (!info) throw new AppError('AUDIO_UNDECODABLE', 'the WAV file is truncated or its header is broken');
    return { format, durationMs: info.durationMs };
  }
  try {
    const { stdout } = await run('soxi', ['-D', file], { timeout: 10_000 });
    const seconds = Number(stdout.trim());
    if (!Number.isFinite(seconds) || seconds <= 0) throw new Error('no duration');
    return { format, durationMs: Math.round(seconds * 1000) };
  } catch {
    throw new AppError('AUDIO_UNDECODABLE', `the ${format} audio could not be decoded`);
  }
}
