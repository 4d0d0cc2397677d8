import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeAudio } from '../lib/audio/probe.js';
import { flacClaiming, soxSeconds, wavWithHeader } from './support/audio-headers.js';
import { convert, durationMs, speak } from './support/speech.js';

const FOUR_HOURS = 4 * 3600 * 1000;
const probe = (file: string, maxDurationMs = FOUR_HOURS) => probeAudio(file, fs.statSync(file).size, { maxDurationMs });
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
    expect(w).toMatchObject({ format: 'wav', sampleRate: 16_000, channels: 1 });
    expect(Math.abs(w.durationMs - real)).toBeLessThanOrEqual(5);
    const flac = await probe(convert(wav, 'flac'));
    expect(flac).toMatchObject({ format: 'flac', sampleRate: 16_000, channels: 1 });
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

  describe('headers whose figures cannot be right (400, the message says which)', () => {
    it.each([
      ['a sample rate of 1 Hz', { sampleRate: 1 }, /sample rate of 1 Hz/],
      ['65535 channels', { channels: 65_535 }, /65535 channels/],
      ['no channels', { channels: 0 }, /broken|0 channels/],
      ['12 bits per sample', { bits: 12 }, /12 bits per sample/],
      ['a byte rate that does not match', { byteRate: 1000 }, /inconsistent/],
      ['a block size that does not match', { blockAlign: 7 }, /inconsistent/],
      ['more audio declared than sent', { declaredBytes: 64_000_000 }, /announces 64000000 bytes of audio but the upload holds 32000/],
    ])('%s', async (_what, figures, message) => {
      await expect(probe(temp('lying.wav', wavWithHeader(figures)))).rejects.toMatchObject({ code: 'AUDIO_UNDECODABLE', status: 400, message: expect.stringMatching(message) });
    });

    it('still accepts a streaming writer’s open data size (0 or 0xFFFFFFFF) and times the bytes present', async () => {
      for (const declaredBytes of [0, 0xffffffff]) {
        expect(await probe(temp('stream.wav', wavWithHeader({ declaredBytes })))).toMatchObject({ durationMs: 1000 });
      }
    });

    it('reads a FLAC header with sox: a sample rate nobody records at is refused', async () => {
      const odd = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'probe-')), 'odd.flac');
      execFileSync('sox', [wav, '-r', '7000', odd]);
      await expect(probe(odd)).rejects.toMatchObject({ code: 'AUDIO_UNDECODABLE', message: expect.stringMatching(/7000 Hz/) });
    });
  });

  describe('longer than the caller may send (413 AUDIO_TOO_LONG)', () => {
    it('a WAV over the limit', async () => {
      await expect(probe(temp('long.wav', wavWithHeader({ dataBytes: 64_000 })), 1000)).rejects.toMatchObject({
        code: 'AUDIO_TOO_LONG',
        status: 413,
        details: { audio_duration_ms: 2000, max_audio_duration_ms: 1000 },
      });
    });

    it('a FLAC header claiming 49 days, past what audio_duration_ms (INT) can hold', async () => {
      const file = temp('49-days.flac', flacClaiming(convert(wav, 'flac'), 49 * 86_400));
      expect(soxSeconds(file)).toBe(49 * 86_400);
      await expect(probe(file)).rejects.toMatchObject({ code: 'AUDIO_TOO_LONG', status: 413, message: expect.stringMatching(/1176 h long; the longest accepted is 4 h/) });
    });
  });
});
