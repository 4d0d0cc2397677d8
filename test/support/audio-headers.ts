import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

// Recordings whose headers lie, as a careless or hostile client sends them: the
// body is a plain tone, only the header's figures change.

export interface WavFigures {
  sampleRate?: number;
  channels?: number;
  bits?: number;
  byteRate?: number;
  blockAlign?: number;
  /** The data chunk's size as the header states it; defaults to the bytes present. */
  declaredBytes?: number;
  /** Audio bytes actually present. */
  dataBytes?: number;
}

export function wavWithHeader(f: WavFigures = {}): Buffer {
  const channels = f.channels ?? 1;
  const bits = f.bits ?? 16;
  const sampleRate = f.sampleRate ?? 16_000;
  const blockAlign = f.blockAlign ?? (channels * bits) / 8;
  const byteRate = f.byteRate ?? sampleRate * blockAlign;
  const dataBytes = f.dataBytes ?? 32_000;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels & 0xffff, 22);
  h.writeUInt32LE(sampleRate >>> 0, 24);
  h.writeUInt32LE(byteRate >>> 0, 28);
  h.writeUInt16LE(blockAlign & 0xffff, 32);
  h.writeUInt16LE(bits, 34);
  h.write('data', 36);
  h.writeUInt32LE(f.declaredBytes ?? dataBytes, 40);
  const body = Buffer.alloc(dataBytes);
  for (let i = 0; i + 1 < dataBytes; i += 2) body.writeInt16LE(Math.round(Math.sin(i / 20) * 8000), i);
  return Buffer.concat([h, body]);
}

/** A real FLAC file whose STREAMINFO claims `seconds` of audio (the 36-bit total-samples field). */
export function flacClaiming(flacFile: string, seconds: number): Buffer {
  const b = Buffer.from(fs.readFileSync(flacFile));
  // "fLaC", a 4-byte block header, then STREAMINFO: 10 bytes of block and frame sizes, then
  // 20 bits sample rate, 3 channels, 5 bits per sample, 36 bits total samples.
  const packed = b.readBigUInt64BE(18);
  const rate = Number(packed >> 44n);
  const mask = (1n << 36n) - 1n;
  b.writeBigUInt64BE((packed & ~mask) | BigInt(Math.round(seconds * rate)), 18);
  return b;
}

/** The duration sox reads from a header, in seconds. */
export const soxSeconds = (file: string): number => Number(execFileSync('soxi', ['-D', file]).toString().trim());
