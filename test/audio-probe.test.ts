import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeAudio } from '../lib/audio/probe.js';
import { convert, durationMs, speak } from './support/speech.js';

const probe = (file: string) => probeAudio(file, fs.statSync(file).size);
const temp = (name: string, data: Buffer | string): string => {
  const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'probe-')), name);
  fs.writeFileSync(p, data);
  return p;
};

describe('audio probing before anything is stored', () => {
  const wav = speak('probing the audio header');

  it('times WAV from its header and other containers through sox', async () => {
    const real = durationMs(wav);
    const w = await probe(wav);
    expect(w.format).toBe('wav');
    expect(Math.abs(w.durationMs - real)).toBeLessThanOrEqual(5);
    const flac = await probe(convert(wav, 'flac'));
    expect(flac.format).toBe('flac');
    expect(Math.abs(flac.durationMs - real)).toBeLessThanOrEqual(20);
  });

  it('calls a text file what it is: not audio (415)', async () => {
    await expect(probe(temp('notes.wav', 'these are meeting notes, not audio'))).rejects.toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      status: 415,
    });
  });

  it('calls a truncated WAV undecodable (400)', async () => {
    const head = fs.readFileSync(wav).subarray(0, 30);
    await expect(probe(temp('cut.wav', head))).rejects.toMatchObject({ code: 'AUDIO_UNDECODABLE', status: 400 });
  });

  it('calls a FLAC signature followed by garbage undecodable (400)', async () => {
    await expect(probe(temp('bad.flac', Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(4000, 7)])))).rejects.toMatchObject({
      code: 'AUDIO_UNDECODABLE',
    });
  });

  it('refuses an empty file (400)', async () => {
    await expect(probe(temp('empty.wav', ''))).rejects.toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
  });
});
