import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import { AppError } from '../errors.js';
import { sniffAudioFormat, type AudioFormat } from './format.js';
import { checkStream, type StreamFigures } from './validate.js';
import { parseWavHeader } from './wav.js';

const run = promisify(execFile);

export interface AudioProbe extends StreamFigures {
  format: AudioFormat;
}

/**
 * 415 for what is not audio at all, 400 for audio we cannot decode or whose
 * header cannot be right, 413 for audio longer than the caller may send:
 * decided before anything is stored or dispatched. WAV is read directly; other
 * containers are read by sox, which the stack installs.
 */
export async function probeAudio(file: string, bytes: number, limits: { maxDurationMs: number }): Promise<AudioProbe> {
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
  const wav = format === 'wav' ? parseWavHeader(head, bytes) : undefined;
  if (format === 'wav' && !wav) throw new AppError('AUDIO_UNDECODABLE', 'the WAV file is truncated or its header is broken');
  const { sampleRate, channels, durationMs } = wav ?? (await soxFigures(file, format));
  checkStream({ sampleRate, channels, durationMs }, format.toUpperCase(), limits, wav);
  return { format, sampleRate, channels, durationMs };
}

/** What sox reads from the container's header: `soxi` prints "Channels : 1", "Sample Rate : 16000", "Duration : … = N samples …". */
async function soxFigures(file: string, format: AudioFormat): Promise<StreamFigures> {
  let stdout: string;
  try {
    ({ stdout } = await run('soxi', [file], { timeout: 10_000 }));
  } catch {
    throw new AppError('AUDIO_UNDECODABLE', `the ${format} audio could not be decoded`);
  }
  const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(stdout)?.[1]?.trim();
  const sampleRate = Number(field('Sample Rate'));
  const channels = Number(field('Channels'));
  const samples = Number(/=\s*(\d+) samples/.exec(field('Duration') ?? '')?.[1]);
  if (!(sampleRate > 0) || !(channels > 0) || !(samples > 0)) {
    throw new AppError('AUDIO_UNDECODABLE', `the ${format} audio could not be decoded: its header gives no length`);
  }
  return { sampleRate, channels, durationMs: Math.round((samples / sampleRate) * 1000) };
}
