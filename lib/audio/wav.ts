export interface WavInfo {
  /** The codec: 1 PCM, 3 IEEE float, 6 A-law, 7 µ-law; WAVE_FORMAT_EXTENSIBLE is resolved to its subformat. */
  formatTag: number;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  byteRate: number;
  blockAlign: number;
  /** The audio bytes present: the declared size, or what the file holds when it holds less. */
  dataBytes: number;
  /** The data chunk's size as the header states it; undefined when a streaming writer left it open (0 or 0xFFFFFFFF). */
  declaredDataBytes: number | undefined;
  durationMs: number;
}

const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Reads the RIFF chunks far enough to know the stream's figures as the header
 * states them; whether they are plausible is lib/audio/validate.ts's question.
 * Returns undefined for a WAVE file whose header is broken or truncated.
 */
export function parseWavHeader(bytes: Uint8Array, fileBytes = bytes.length): WavInfo | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') return undefined;
  let offset = 12;
  let fmt: Omit<WavInfo, 'dataBytes' | 'declaredDataBytes' | 'durationMs'> | undefined;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) return undefined;
      const tag = buf.readUInt16LE(body);
      fmt = {
        // The subformat GUID starts with the codec's tag.
        formatTag: tag === WAVE_FORMAT_EXTENSIBLE && size >= 40 && body + 26 <= buf.length ? buf.readUInt16LE(body + 24) : tag,
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        byteRate: buf.readUInt32LE(body + 8),
        blockAlign: buf.readUInt16LE(body + 12),
        bitsPerSample: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt || fmt.channels === 0 || fmt.sampleRate === 0 || fmt.byteRate === 0) return undefined;
      const available = Math.max(0, fileBytes - body);
      // Streaming writers leave the data size at 0 or 0xFFFFFFFF; the file length is the truth then.
      const declaredDataBytes = size === 0 || size === 0xffffffff ? undefined : size;
      const dataBytes = Math.min(declaredDataBytes ?? available, available);
      if (dataBytes === 0) return undefined;
      return { ...fmt, dataBytes, declaredDataBytes, durationMs: Math.round((dataBytes / fmt.byteRate) * 1000) };
    }
    offset = body + size + (size % 2);
  }
  return undefined;
}

/** Mono 16-bit PCM samples (little-endian) wrapped in a WAVE header. */
export function pcmWav(pcm: Uint8Array, sampleRate: number): Uint8Array {
  const buf = Buffer.alloc(44 + pcm.byteLength);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + pcm.byteLength, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16); // fmt chunk size
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * 2, 28); // byte rate
  buf.writeUInt16LE(2, 32); // block align
  buf.writeUInt16LE(16, 34); // bits per sample
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(pcm.byteLength, 40);
  buf.set(pcm, 44);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
