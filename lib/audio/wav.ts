export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  dataBytes: number;
  durationMs: number;
}

/**
 * Reads the RIFF chunks far enough to know the stream is PCM we can time.
 * Returns undefined for a WAVE file whose header is broken or truncated.
 */
export function parseWavHeader(bytes: Uint8Array, fileBytes = bytes.length): WavInfo | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') return undefined;
  let offset = 12;
  let fmt: { format: number; channels: number; sampleRate: number; byteRate: number; bits: number } | undefined;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (body + 16 > buf.length) return undefined;
      fmt = {
        format: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        byteRate: buf.readUInt32LE(body + 8),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt || fmt.channels === 0 || fmt.sampleRate === 0 || fmt.byteRate === 0) return undefined;
      // Streaming writers leave the data size at 0 or 0xFFFFFFFF; the file length is the truth then.
      const available = Math.max(0, fileBytes - body);
      const dataBytes = size === 0 || size === 0xffffffff || size > available ? available : size;
      if (dataBytes === 0) return undefined;
      return {
        sampleRate: fmt.sampleRate,
        channels: fmt.channels,
        bitsPerSample: fmt.bits,
        dataBytes,
        durationMs: Math.round((dataBytes / fmt.byteRate) * 1000),
      };
    }
    offset = body + size + (size % 2);
  }
  return undefined;
}
