// Just enough RIFF/WAVE reading to tell a WAV file from anything else and to
// know how long it plays, without starting a process.

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  durationMs: number;
}

/** undefined when the bytes are not a WAV file with a format and a data chunk. */
export function readWavInfo(bytes: Uint8Array): WavInfo | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let format: { channels: number; sampleRate: number; byteRate: number; bitsPerSample: number } | undefined;
  let offset = 12;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('latin1', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && body + 16 <= buf.length) {
      format = {
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        byteRate: buf.readUInt32LE(body + 8),
        bitsPerSample: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!format || format.byteRate === 0 || format.channels === 0 || format.sampleRate === 0) return undefined;
      // Streamed writers leave the size at 0 or 0xFFFFFFFF; the bytes present are the truth then.
      const available = buf.length - body;
      const dataBytes = size === 0 || size > available ? available : size;
      return {
        sampleRate: format.sampleRate,
        channels: format.channels,
        bitsPerSample: format.bitsPerSample,
        durationMs: Math.round((dataBytes / format.byteRate) * 1000),
      };
    }
    // Chunks are padded to an even length.
    offset = body + size + (size % 2);
  }
  return undefined;
}
