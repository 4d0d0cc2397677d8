import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-speech-'));
let n = 0;

export type Voice = 'slt' | 'rms' | 'awb';

/** A phrase spoken by flite as 16 kHz mono WAV: real speech pocketsphinx hears almost word for word. */
export function speak(text: string, voice: Voice = 'slt'): string {
  const raw = path.join(dir, `speech-${n++}-raw.wav`);
  const out = raw.replace('-raw', '');
  execFileSync('flite', ['-voice', voice, '-t', text, '-o', raw]);
  execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', out]);
  return out;
}

/** The same audio in another container, through sox. */
export function convert(wav: string, ext: 'flac' | 'ogg'): string {
  const out = wav.replace(/\.wav$/, `.${ext}`);
  execFileSync('sox', [wav, out]);
  return out;
}

/** Speech padded with silence to at least `bytes`, to push an upload over the async threshold. */
export function padTo(wav: string, bytes: number): string {
  const out = wav.replace(/\.wav$/, `-padded.wav`);
  const seconds = Math.ceil(bytes / 32000) + 1;
  execFileSync('sox', [wav, out, 'pad', '0', String(seconds)]);
  return out;
}

export function durationMs(file: string): number {
  return Math.round(Number(execFileSync('soxi', ['-D', file]).toString().trim()) * 1000);
}

/** The recording said over and over until it lasts at least `seconds`: real speech the engine must decode all of. */
export function repeatTo(wav: string, seconds: number): string {
  const out = wav.replace(/\.wav$/, `-x${seconds}s.wav`);
  const repeats = Math.ceil(seconds / (durationMs(wav) / 1000));
  execFileSync('sox', [wav, out, 'repeat', String(repeats - 1)]);
  return out;
}

/** The words of a transcript as spoken, whatever the engine's casing and punctuation: to compare word for word. */
export const spokenWords = (text: string | null | undefined): string => (text ?? '').toLowerCase().replace(/[^a-z' ]+/g, ' ').trim().split(/\s+/).join(' ');
